module example.com/bench-stdio-go

go 1.21
