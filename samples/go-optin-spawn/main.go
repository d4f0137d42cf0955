package main

import (
	"flag"
	"log"
	"net/http"

	"example.com/linkcheck/internal/serve"
)

func main() {
	addr := flag.String("listen", ":8080", "address to listen on")
	flag.Parse()
	log.Fatal(http.ListenAndServe(*addr, serve.Handler()))
}
