package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// runWatch subscribes to MQTT topics and prints every message that
// arrives: the way to see what destinations receive (uplinks in the AWS
// IoT Core for LoRaWAN shape, join and downlink events).
func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	broker := fs.String("broker", "tcp://127.0.0.1:1883", "MQTT broker URL")
	topic := fs.String("topic", "#", "topic filter to subscribe to")
	count := fs.Int("count", 0, "exit 0 after this many messages (0: until interrupted)")
	timeout := fs.Duration("timeout", 0, "exit 1 when -count messages have not arrived within this time (0: no limit)")
	compact := fs.Bool("compact", false, "print each message on one line")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: loraedge watch [--broker URL] [--topic FILTER] [--count N] [--timeout D] [--compact]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 || *count < 0 || *timeout < 0 {
		fs.Usage()
		return exitUsage
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}

	var (
		mu   sync.Mutex
		seen int
		done = make(chan struct{})
		once sync.Once
	)
	print := func(_ mqtt.Client, m mqtt.Message) {
		mu.Lock()
		defer mu.Unlock()
		if *count > 0 && seen >= *count {
			return
		}
		seen++
		fmt.Fprintln(stdout, formatWatched(m.Topic(), m.Payload(), *compact))
		if *count > 0 && seen == *count {
			once.Do(func() { close(done) })
		}
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	opts := mqtt.NewClientOptions().AddBroker(*broker).
		SetClientID("loraedge-watch-" + hex.EncodeToString(id)).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetOnConnectHandler(func(c mqtt.Client) {
			// (Re)subscribe on every connection: the session is clean.
			if t := c.Subscribe(*topic, 1, print); t.Wait() && t.Error() != nil {
				fmt.Fprintf(stderr, "loraedge watch: subscribe %s: %v\n", *topic, t.Error())
			}
		})
	client := mqtt.NewClient(opts)
	client.Connect() // retries in the background until the broker answers
	defer client.Disconnect(250)

	select {
	case <-done:
		return exitOK
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		if *count > 0 && seen < *count {
			fmt.Fprintf(stderr, "loraedge watch: %d of %d messages on %s within the time given\n", seen, *count, *topic)
			return exitFailure
		}
		return exitOK
	}
}

// formatWatched renders one message: its topic, its JSON indented (or on
// one line), and for an uplink the decoded payload bytes as well.
func formatWatched(topic string, payload []byte, compact bool) string {
	var b bytes.Buffer
	b.WriteString(topic)
	var pretty bytes.Buffer
	var err error
	if compact {
		err = json.Compact(&pretty, payload)
	} else {
		err = json.Indent(&pretty, payload, "", "  ")
	}
	if err != nil {
		fmt.Fprintf(&b, " %q", payload)
		return b.String()
	}
	if compact {
		b.WriteByte(' ')
	} else {
		b.WriteByte('\n')
	}
	b.Write(pretty.Bytes())
	var up struct {
		PayloadData *string
	}
	if json.Unmarshal(payload, &up) == nil && up.PayloadData != nil {
		if raw, err := base64.StdEncoding.DecodeString(*up.PayloadData); err == nil {
			fmt.Fprintf(&b, "\n  payload: %x %q", raw, raw)
		}
	}
	return b.String()
}
