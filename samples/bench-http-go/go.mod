module example.com/bench-http-go

go 1.21
