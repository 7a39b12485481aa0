package broker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// Raw MQTT clients for the shutdown tests: they control exactly when a
// connection is opened, held and dropped, which paho does not expose.

// dialMQTT opens a TCP connection, sends a clean-session CONNECT of the given
// protocol version (4 = 3.1.1, 5 = 5.0) and waits for a successful CONNACK.
// Every step is bounded by limit.
func dialMQTT(addr, id string, version byte, limit time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, limit)
	if err != nil {
		return nil, err
	}
	if err := c.SetDeadline(time.Now().Add(limit)); err != nil {
		c.Close()
		return nil, err
	}
	pk := packets.Packet{
		FixedHeader:     packets.FixedHeader{Type: packets.Connect},
		ProtocolVersion: version,
		Connect: packets.ConnectParams{
			ProtocolName:     []byte("MQTT"),
			Clean:            true,
			Keepalive:        60,
			ClientIdentifier: id,
		},
	}
	var buf bytes.Buffer
	if err := pk.ConnectEncode(&buf); err != nil {
		c.Close()
		return nil, fmt.Errorf("encode connect: %w", err)
	}
	if _, err := c.Write(buf.Bytes()); err != nil {
		c.Close()
		return nil, err
	}
	typ, body, err := readPacket(c)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("read connack: %w", err)
	}
	// CONNACK body: acknowledge flags, then the return (3.1.1) or reason (5) code.
	if typ != packets.Connack || len(body) < 2 || body[1] != 0 {
		c.Close()
		return nil, fmt.Errorf("connack: got type %d body % x, want type %d with code 0", typ, body, packets.Connack)
	}
	if err := c.SetDeadline(time.Time{}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// readPacket reads one MQTT control packet and returns its type and body.
func readPacket(r io.Reader) (byte, []byte, error) {
	br := bufio.NewReaderSize(r, 1) // never reads past the packet
	first, err := br.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	var n, shift int
	for i := 0; ; i++ {
		if i == 4 {
			return 0, nil, errors.New("remaining length longer than 4 bytes")
		}
		b, err := br.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		n |= int(b&0x7f) << shift
		shift += 7
		if b&0x80 == 0 {
			break
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return 0, nil, err
	}
	return first >> 4, body, nil
}

// disconnectPacket is a client's DISCONNECT without reason code, valid in 3.1.1 and 5.
var disconnectPacket = []byte{packets.Disconnect << 4, 0}

// churn connects and disconnects clients against one broker from several
// goroutines until the broker's port refuses connections or stop is closed.
// Every fourth client is a holding client: it stays connected until the
// broker closes the connection, which must happen within holdLimit.
type churn struct {
	wg      sync.WaitGroup
	holding chan struct{} // one value per holding client that got its CONNACK, while there is room
	stop    chan struct{}

	mu       sync.Mutex
	problems []error
}

func startChurn(addr, tag string, workers int, holdLimit time.Duration) *churn {
	ch := &churn{holding: make(chan struct{}, 1), stop: make(chan struct{})}
	for w := range workers {
		ch.wg.Add(1)
		go func() {
			defer ch.wg.Done()
			for n := 0; ; n++ {
				select {
				case <-ch.stop:
					return
				default:
				}
				version := byte(4)
				if n%3 == 2 {
					version = 5
				}
				id := fmt.Sprintf("%s-%d-%d", tag, w, n)
				c, err := dialMQTT(addr, id, version, holdLimit)
				if errors.Is(err, syscall.ECONNREFUSED) {
					return // the broker's port is closed
				}
				if err != nil {
					continue // accepted, then closed by a broker on its way out
				}
				if n%4 != 1 {
					_, _ = c.Write(disconnectPacket)
					c.Close()
					continue
				}
				ch.wg.Add(1)
				go ch.hold(c, id, holdLimit)
			}
		}()
	}
	return ch
}

// hold keeps c open until the broker closes it and records a problem when
// that takes longer than limit.
func (ch *churn) hold(c net.Conn, id string, limit time.Duration) {
	defer ch.wg.Done()
	defer c.Close()
	select {
	case ch.holding <- struct{}{}:
	default:
	}
	if err := c.SetReadDeadline(time.Now().Add(limit)); err != nil {
		ch.fail(fmt.Errorf("client %s: %w", id, err))
		return
	}
	for {
		if _, _, err := readPacket(c); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				ch.fail(fmt.Errorf("client %s still connected %v after it connected", id, limit))
			}
			return
		}
	}
}

func (ch *churn) fail(err error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.problems = append(ch.problems, err)
}

// end stops the workers, waits for every client to finish and returns the
// problems seen.
func (ch *churn) end() []error {
	close(ch.stop)
	ch.wg.Wait()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.problems
}
