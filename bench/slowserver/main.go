// Command slowserver is an OpenAI-compatible chat completions server for
// benchmarks: it answers every request after a fixed delay, as a model
// endpoint with constant latency would. It listens on loopback only and
// prints its base URL on the first line of stdout.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

func main() {
	delay := flag.Duration("delay", 50*time.Millisecond, "how long each answer takes")
	p500 := flag.Float64("p500", 0, "share of requests answered with HTTP 500")
	preset := flag.Float64("preset", 0, "share of requests whose connection is dropped mid-response")
	pbad := flag.Float64("pbadjson", 0, "share of requests answered with malformed JSON")
	seed := flag.Uint64("seed", 1, "seed of the fault draws")
	flag.Parse()
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(*seed, 0))
	draw := func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return rng.Float64()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s/v1\n", ln.Addr())
	os.Stdout.Sync()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string `json:"model"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		time.Sleep(*delay)
		switch u := draw(); {
		case u < *p500:
			http.Error(w, `{"error":{"message":"injected 500","type":"server_error"}}`, http.StatusInternalServerError)
			return
		case u < *p500+*preset:
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err == nil {
				buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 300\r\n\r\n{\"id\":")
				buf.Flush()
				conn.Close()
			}
			return
		case u < *p500+*preset+*pbad:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":"chatcmpl-b","choices":[{"message":{"content":"x"}}],}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"chatcmpl-b","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":"The refund window is 30 days."},"finish_reason":"stop"}],"usage":{"prompt_tokens":60,"completion_tokens":8,"total_tokens":68}}`, req.Model)
	})}
	log.Fatal(srv.Serve(ln))
}
