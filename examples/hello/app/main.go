// Command hello is the demo server of examples/hello: a static HTTP server
// that answers every request with a greeting. "hello hello" prints the
// greeting and exits, so the image can be tested without a network.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
)

// greeting is what the server answers and what "hello hello" prints.
const greeting = "hello from ybuild"

func main() {
	addr := flag.String("addr", ":8080", "address to listen on")
	flag.Parse()
	if flag.Arg(0) == "hello" {
		fmt.Println(greeting)
		return
	}
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "hello: unknown argument %q (use \"hello\" or no argument)\n", flag.Arg(0))
		os.Exit(2)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, greeting)
	})
	log.Printf("listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
