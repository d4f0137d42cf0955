module github.com/example/shortlink

go 1.22
