package broker_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/loraedge/loraedge/cloud/broker"
)

func Example() {
	b := broker.New(broker.Options{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := b.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	fmt.Println(strings.HasPrefix(b.URL(), "tcp://127.0.0.1:"), !strings.HasSuffix(b.Addr(), ":0"))

	err := broker.New(broker.Options{Addr: "0.0.0.0:1883"}).Start(context.Background())
	fmt.Println(err != nil)
	// Output:
	// true true
	// true
}
