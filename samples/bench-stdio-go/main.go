// The stdio benchmark service: one JSON request per line on stdin, one
// transformed JSON response per line on stdout.
//
// Request:  {"id":7,"name":"ada","values":[1,2,3]}
// Response: {"id":7,"name":"ADA","sum":6,"count":3}
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
)

type request struct {
	ID     int64   `json:"id"`
	Name   string  `json:"name"`
	Values []int64 `json:"values"`
}

type response struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Sum   int64  `json:"sum"`
	Count int    `json:"count"`
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 64*1024)
	out := bufio.NewWriterSize(os.Stdout, 64*1024)
	defer out.Flush()
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			out.Write(transform(line))
		}
		if err != nil {
			return
		}
		// Flush only when no more input is already buffered: responses go
		// out at once to an interactive caller, and in batches under load.
		if in.Buffered() == 0 {
			if out.Flush() != nil {
				return
			}
		}
	}
}

func transform(line []byte) []byte {
	var req request
	if err := json.Unmarshal(line, &req); err != nil || req.Values == nil {
		return []byte("{\"error\":\"bad request\"}\n")
	}
	var sum int64
	for _, v := range req.Values {
		sum += v
	}
	body, err := json.Marshal(response{ID: req.ID, Name: strings.ToUpper(req.Name), Sum: sum, Count: len(req.Values)})
	if err != nil {
		return []byte("{\"error\":\"internal\"}\n")
	}
	return append(body, '\n')
}
