package lgwsim_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/lgwsim"
)

// TestTimeBaseRecord checks the first record byte for byte, with a fixed
// monotonic clock: timeOffset = clock − 0x10000000 split into freq_hz (high
// 32 bits) and count_us (low 32 bits), tx_mode 255, f_dev the unit.
func TestTimeBaseRecord(t *testing.T) {
	path := socketPath(t)
	sim := newRawSim(t, path)
	const mono = 0x0123_4567_89ab // µs
	c := started(t, path, lgwsim.Options{Unit: 2, Monotonic: func() int64 { return mono }})
	_, got := sim.accept()
	// offset 0x0123_3567_89ab: freq_hz 0x00000123, count_us 0x356789ab.
	want, _ := hex.DecodeString("23010000" + "ff000000" + "ab896735" + "00000000" + "00000000" + "00000200")
	want = append(want, make([]byte, lgwsim.TxRecordSize-len(want))...)
	if !bytes.Equal(got, want) {
		t.Errorf("time-base record\n%x\nwant\n%x", got, want)
	}
	if off, unit := timeBase(t, got); off != mono-0x10000000 || unit != 2 {
		t.Errorf("time base %#x unit %d, want %#x unit 2", off, unit, int64(mono-0x10000000))
	}
	if n, err := c.Counter(); err != nil || n != 0x10000000 {
		t.Errorf("Counter() = %#x, %v; want 0x10000000 (Station's start)", n, err)
	}
}

// TestReceive injects receive records and checks what Receive returns.
func TestReceive(t *testing.T) {
	path := socketPath(t)
	sim := newRawSim(t, path)
	c := started(t, path, lgwsim.Options{})
	conn, tb := sim.accept()
	offset, _ := timeBase(t, tb)
	tests := []struct {
		name string
		rec  lgwsim.RxRecord
		want hal.RxPacket
	}{
		{
			name: "SF7BW125 with simutils defaults",
			rec: lgwsim.RxRecord{FreqHz: 868_100_000, Status: 0x10, Modulation: 0x10, Bandwidth: 0x03, Datarate: 0x02,
				Coderate: 0x01, RSSI: -50, SNR: 9, SNRMin: 8.7, SNRMax: 9.3, Payload: []byte{0x40, 1, 2, 3, 4, 0, 1, 0, 1, 0xaa, 1, 0, 0, 0}},
			want: hal.RxPacket{Freq: 868_100_000, Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: 125_000,
				CodeRate: hal.CodeRate4_5, RSSI: -50, SNR: 9, CRC: hal.CRCOK, Payload: []byte{0x40, 1, 2, 3, 4, 0, 1, 0, 1, 0xaa, 1, 0, 0, 0}},
		},
		{
			name: "SF12BW125 weak, IF 7 on radio 1",
			rec: lgwsim.RxRecord{FreqHz: 867_100_000, IFChain: 7, RFChain: 1, Status: 0x10, Modulation: 0x10, Bandwidth: 0x03,
				Datarate: 0x40, Coderate: 0x01, RSSI: -121.25, SNR: -17.75, Payload: []byte{0}},
			want: hal.RxPacket{Freq: 867_100_000, IFChain: 7, RFChain: 1, Modulation: hal.ModulationLoRa, SpreadingFactor: 12,
				Bandwidth: 125_000, CodeRate: hal.CodeRate4_5, RSSI: -121.25, SNR: -17.75, CRC: hal.CRCOK, Payload: []byte{0}},
		},
		{
			name: "SF8BW500",
			rec: lgwsim.RxRecord{FreqHz: 904_600_000, IFChain: 8, Status: 0x10, Modulation: 0x10, Bandwidth: 0x01,
				Datarate: 0x04, Coderate: 0x01, RSSI: -80, SNR: 5.5, Payload: []byte{1, 2}},
			want: hal.RxPacket{Freq: 904_600_000, IFChain: 8, Modulation: hal.ModulationLoRa, SpreadingFactor: 8,
				Bandwidth: 500_000, CodeRate: hal.CodeRate4_5, RSSI: -80, SNR: 5.5, CRC: hal.CRCOK, Payload: []byte{1, 2}},
		},
		{
			name: "SF10BW250 with a bad CRC, coding rate 4/8",
			rec: lgwsim.RxRecord{FreqHz: 868_300_000, Status: 0x11, Modulation: 0x10, Bandwidth: 0x02, Datarate: 0x10,
				Coderate: 0x04, RSSI: -99, SNR: -2, Payload: []byte{9, 9, 9}},
			want: hal.RxPacket{Freq: 868_300_000, Modulation: hal.ModulationLoRa, SpreadingFactor: 10, Bandwidth: 250_000,
				CodeRate: hal.CodeRate4_8, RSSI: -99, SNR: -2, CRC: hal.CRCBad, Payload: []byte{9, 9, 9}},
		},
		{
			name: "FSK 50 kbit/s without CRC",
			rec: lgwsim.RxRecord{FreqHz: 868_800_000, IFChain: 9, Status: 0x01, Modulation: 0x20, Datarate: 50_000,
				RSSI: -70, SNR: 3, Payload: []byte{7}},
			want: hal.RxPacket{Freq: 868_800_000, IFChain: 9, Modulation: hal.ModulationFSK, DataRate: 50_000,
				RSSI: -70, CRC: hal.CRCNone, Payload: []byte{7}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			count := uint32(lgwsim.MonotonicMicros() - offset)
			tt.rec.CountUS = count
			tt.want.CountUS = count
			sim.writeRx(conn, tt.rec)
			got := receive(t, c)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("received %+v\nwant %+v", got, tt.want)
			}
			// Both sides count from the same monotonic clock.
			now, err := c.Counter()
			if err != nil {
				t.Fatal(err)
			}
			if d := int32(now - count); d < 0 || d > int32(failAfter/time.Microsecond) {
				t.Errorf("gateway counter %d is %d µs from the simulator's %d", now, d, count)
			}
		})
	}
	if st := c.Stats(); st.Received != len(tests) || st.Malformed != 0 {
		t.Errorf("stats %+v, want %d received, none malformed", st, len(tests))
	}
}

// TestSend checks the transmit record a timestamped frame becomes, when it
// is written, and its TxDone.
func TestSend(t *testing.T) {
	path := socketPath(t)
	sim := newRawSim(t, path)
	c := started(t, path, lgwsim.Options{})
	conn, tb := sim.accept()
	offset, _ := timeBase(t, tb)
	waitConnected(t, c)
	now, err := c.Counter()
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte{0x60, 0x04, 0x03, 0x02, 0x01, 0x20, 0x01, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef}
	tx := hal.TxPacket{ID: 77, Mode: hal.TxTimestamped, CountUS: now + 300_000, Freq: 868_500_000, Power: 14,
		Modulation: hal.ModulationLoRa, SpreadingFactor: 9, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5,
		InvertPol: true, NoCRC: true, Payload: payload}
	if err := c.Send(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	rec := sim.readTx(conn)
	arrived := uint32(lgwsim.MonotonicMicros() - offset)
	want := lgwsim.TxRecord{FreqHz: 868_500_000, TxMode: 1, CountUS: now + 300_000, RFPower: 14, Modulation: 0x10,
		Bandwidth: 0x03, Datarate: 0x08, Coderate: 0x01, InvertPol: true, Preamble: 8, NoCRC: true, Payload: payload}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("tx record %+v\nwant %+v", rec, want)
	}
	if lead := int32(rec.CountUS - arrived); lead > int32(lgwsim.DefaultWriteLead/time.Microsecond) {
		t.Errorf("record arrived %d µs before the frame's start, want at most the write lead %v", lead, lgwsim.DefaultWriteLead)
	}
	d := txDone(t, c)
	if d.ID != 77 || d.CountUS != now+300_000 || d.Err != nil {
		t.Errorf("TxDone %+v, want ID 77 at %d without error", d, now+300_000)
	}
	end := now + 300_000 + uint32(tx.AirTime()/time.Microsecond)
	if after, _ := c.Counter(); int32(after-end) < 0 {
		t.Errorf("TxDone at counter %d, before the frame's end %d", after, end)
	}

	t.Run("immediate", func(t *testing.T) {
		before, _ := c.Counter()
		imm := hal.TxPacket{ID: 78, Mode: hal.TxImmediate, Freq: 869_525_000, Power: 27, Modulation: hal.ModulationLoRa,
			SpreadingFactor: 12, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, InvertPol: true, Payload: []byte{1}}
		if err := c.Send(context.Background(), imm); err != nil {
			t.Fatal(err)
		}
		rec := sim.readTx(conn)
		after, _ := c.Counter()
		if rec.TxMode != 0 || int32(rec.CountUS-before) < 0 || int32(after-rec.CountUS) < 0 || rec.RFPower != 27 || rec.Datarate != 0x40 {
			t.Errorf("immediate record %+v, want tx_mode 0, count_us in [%d, %d], power 27, SF12", rec, before, after)
		}
		if d := txDone(t, c); d.ID != 78 || d.Err != nil || d.CountUS != rec.CountUS {
			t.Errorf("TxDone %+v, want ID 78 at %d", d, rec.CountUS)
		}
	})
	if st := c.Stats(); st.Written != 2 || st.Sent != 2 {
		t.Errorf("stats %+v, want 2 written and sent", st)
	}
}

func TestSendRefused(t *testing.T) {
	path := socketPath(t)
	sim := newRawSim(t, path)
	c := started(t, path, lgwsim.Options{TxQueue: 2})
	sim.accept()
	waitConnected(t, c)
	frame := func(id uint64, dt int64) hal.TxPacket {
		now, err := c.Counter()
		if err != nil {
			t.Fatal(err)
		}
		return hal.TxPacket{ID: id, Mode: hal.TxTimestamped, CountUS: uint32(int64(now) + dt), Freq: 868_100_000, Power: 14,
			Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5,
			InvertPol: true, Payload: []byte{1, 2, 3}}
	}
	if err := c.Send(context.Background(), frame(1, 2_000_000)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tx   func() hal.TxPacket
		want error
	}{
		{"start passed", func() hal.TxPacket { return frame(2, -10_000) }, hal.ErrTooLate},
		{"overlaps a queued frame", func() hal.TxPacket { return frame(3, 2_010_000) }, hal.ErrBusy},
		{"outside the radio's tx range", func() hal.TxPacket { f := frame(4, 3_000_000); f.Freq = 880_000_000; return f }, hal.ErrFreqOutOfRange},
		{"radio 1 may not transmit", func() hal.TxPacket { f := frame(5, 3_000_000); f.RFChain = 1; return f }, hal.ErrInvalid},
		{"SF6", func() hal.TxPacket { f := frame(6, 3_000_000); f.SpreadingFactor = 6; return f }, hal.ErrInvalid},
		{"no mode", func() hal.TxPacket { f := frame(7, 3_000_000); f.Mode = 0; return f }, hal.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Send(context.Background(), tt.tx()); !errors.Is(err, tt.want) {
				t.Errorf("Send: %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("queue full", func(t *testing.T) {
		if err := c.Send(context.Background(), frame(8, 4_000_000)); err != nil {
			t.Fatal(err)
		}
		if err := c.Send(context.Background(), frame(9, 6_000_000)); !errors.Is(err, hal.ErrBusy) {
			t.Errorf("third frame with a queue of 2: %v, want hal.ErrBusy", err)
		}
	})
	t.Run("stopped", func(t *testing.T) {
		c.Stop()
		if err := c.Send(context.Background(), hal.TxPacket{Mode: hal.TxImmediate, Freq: 868_100_000,
			Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5,
			Payload: []byte{1}}); !errors.Is(err, hal.ErrStopped) {
			t.Errorf("Send after Stop: %v, want hal.ErrStopped", err)
		}
	})
	t.Run("not connected", func(t *testing.T) {
		lone := started(t, socketPath(t), lgwsim.Options{})
		now, _ := lone.Counter()
		tx := hal.TxPacket{ID: 10, Mode: hal.TxTimestamped, CountUS: now + 1_000_000, Freq: 868_100_000,
			Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5,
			Payload: []byte{1}}
		if err := lone.Send(context.Background(), tx); !errors.Is(err, lgwsim.ErrNotConnected) {
			t.Errorf("Send without a simulator: %v, want ErrNotConnected", err)
		}
	})
}

// TestReconnect starts the concentrator before the socket exists: it keeps
// trying, connects once the simulator listens, and connects again when the
// simulator drops the connection, with the same time base.
func TestReconnect(t *testing.T) {
	path := socketPath(t)
	log, failed := watchLog("cannot connect")
	c := started(t, path, lgwsim.Options{RetryInterval: 20 * time.Millisecond, Logger: log})
	msg := wait(t, failed, "a failed connection attempt")
	if !strings.Contains(msg, path) && !strings.Contains(msg, "no such file") {
		t.Errorf("log %q names neither the socket nor the error", msg)
	}
	if err := c.LastError(); err == nil {
		t.Error("LastError nil after a failed attempt")
	}
	sim := newRawSim(t, path)
	conn, tb := sim.accept()
	off1, _ := timeBase(t, tb)
	waitConnected(t, c)
	conn.Close()
	_, tb2 := sim.accept()
	off2, _ := timeBase(t, tb2)
	if off1 != off2 {
		t.Errorf("time offset changed across a reconnect: %#x then %#x", off1, off2)
	}
	waitConnected(t, c)
	if st := c.Stats(); st.Connects != 2 || st.Disconnects != 1 {
		t.Errorf("stats %+v, want 2 connects, 1 disconnect", st)
	}
}

// TestLBT sends CCA tables and checks which frames they refuse.
func TestLBT(t *testing.T) {
	path := socketPath(t)
	sim := newRawSim(t, path)
	c := started(t, path, lgwsim.Options{})
	conn, tb := sim.accept()
	offset, _ := timeBase(t, tb)
	waitConnected(t, c)
	// sync makes sure the records written so far were read: records are
	// handled in order, so once a frame written after them is received,
	// they were.
	sync := func() {
		sim.writeRx(conn, lgwsim.RxRecord{FreqHz: 868_100_000, Status: 0x10, Modulation: 0x10, Bandwidth: 0x03,
			Datarate: 0x02, Coderate: 1, Payload: []byte{1}})
		receive(t, c)
	}
	xt := lgwsim.MonotonicMicros() - offset
	tbl := lgwsim.CCATable{{Freq: 868_100_000, Begin: xt, End: xt + 10_000_000}, {Freq: 868_500_000, Begin: xt, End: xt + 50_000}}
	b, err := tbl.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	sim.write(conn, b)
	sync()
	send := func(id uint64, freq uint32, startXt int64) error {
		return c.Send(context.Background(), hal.TxPacket{ID: id, Mode: hal.TxTimestamped, CountUS: uint32(startXt),
			Freq: freq, Power: 14, Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125,
			CodeRate: hal.CodeRate4_5, InvertPol: true, Payload: []byte{1}})
	}
	tests := []struct {
		name    string
		freq    uint32
		startXt int64
		busy    bool
	}{
		{"busy channel inside its span", 868_100_000, xt + 200_000, true},
		{"free channel", 868_300_000, xt + 400_000, false},
		{"busy channel after its span", 868_500_000, xt + 600_000, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := send(uint64(i+1), tt.freq, tt.startXt)
			if tt.busy && !isErr(err, hal.ErrBusy, lgwsim.ErrLBT) {
				t.Errorf("Send: %v, want hal.ErrBusy and ErrLBT", err)
			}
			if !tt.busy && err != nil {
				t.Errorf("Send: %v, want accepted", err)
			}
		})
	}
	// An empty table replaces the previous one.
	b, _ = lgwsim.CCATable{}.MarshalBinary()
	sim.write(conn, b)
	sync()
	if err := send(9, 868_100_000, xt+800_000); err != nil {
		t.Errorf("after an empty table: %v, want accepted", err)
	}
	if st := c.Stats(); st.CCATables != 2 || st.LBT != 1 {
		t.Errorf("stats %+v, want 2 cca tables, 1 lbt refusal", st)
	}
}

// TestMalformedRecords checks that bad records are dropped with a clear
// error, that the connection survives a bad value, and that a record cut
// short by the simulator's close is reported and followed by a reconnect.
func TestMalformedRecords(t *testing.T) {
	path := socketPath(t)
	sim := newRawSim(t, path)
	c := started(t, path, lgwsim.Options{RetryInterval: 20 * time.Millisecond})
	conn, _ := sim.accept()
	good := lgwsim.RxRecord{FreqHz: 868_100_000, Status: 0x10, Modulation: 0x10, Bandwidth: 0x03, Datarate: 0x02,
		Coderate: 1, Payload: []byte{0x42}}
	bad := good
	bad.Status = 0x00
	sim.writeRx(conn, bad)
	sim.writeRx(conn, good)
	if p := receive(t, c); !bytes.Equal(p.Payload, []byte{0x42}) {
		t.Errorf("received %+v, want the good frame", p)
	}
	if err := c.LastError(); !errors.Is(err, lgwsim.ErrMalformed) || !strings.Contains(err.Error(), "status 0x00") {
		t.Errorf("LastError %v, want ErrMalformed about status 0x00", err)
	}
	sim.write(conn, bytes.Repeat([]byte{0x10}, 100))
	conn.Close()
	sim.accept() // the concentrator connected again
	if err := c.LastError(); !errors.Is(err, lgwsim.ErrMalformed) || !strings.Contains(err.Error(), "short record: 100 of 300 bytes") {
		t.Errorf("LastError %v, want ErrMalformed about a short record", err)
	}
	if st := c.Stats(); st.Malformed != 2 || st.Received != 1 {
		t.Errorf("stats %+v, want 2 malformed, 1 received", st)
	}
}

// TestStopReportsPending checks that Stop reports queued frames with
// hal.ErrStopped, closes TxDone, and that a frame not yet due was never
// written to the simulator.
func TestStopReportsPending(t *testing.T) {
	path := socketPath(t)
	sim := newRawSim(t, path)
	c := started(t, path, lgwsim.Options{})
	conn, _ := sim.accept()
	waitConnected(t, c)
	now, _ := c.Counter()
	if err := c.Send(context.Background(), hal.TxPacket{ID: 5, Mode: hal.TxTimestamped, CountUS: now + 5_000_000,
		Freq: 868_100_000, Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125,
		CodeRate: hal.CodeRate4_5, Payload: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	done := c.TxDone()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := <-done; d.ID != 5 || !errors.Is(d.Err, hal.ErrStopped) {
		t.Errorf("TxDone %+v, want ID 5 with hal.ErrStopped", d)
	}
	if _, ok := <-done; ok {
		t.Error("TxDone channel still open after Stop")
	}
	conn.SetReadDeadline(time.Now().Add(failAfter))
	if n, err := io.ReadFull(conn, make([]byte, lgwsim.TxRecordSize)); err != io.EOF {
		t.Errorf("simulator read %d bytes (%v) after Stop, want EOF with nothing written", n, err)
	}
	if _, err := c.Receive(context.Background()); !errors.Is(err, hal.ErrStopped) {
		t.Errorf("Receive after Stop: %v, want hal.ErrStopped", err)
	}
}

// TestConnectionLostBeforeStart checks that a frame written on a connection
// that closes before the frame's start is reported lost.
func TestConnectionLostBeforeStart(t *testing.T) {
	path := socketPath(t)
	sim := newRawSim(t, path)
	c := started(t, path, lgwsim.Options{WriteLead: -1})
	conn, _ := sim.accept()
	waitConnected(t, c)
	now, _ := c.Counter()
	if err := c.Send(context.Background(), hal.TxPacket{ID: 6, Mode: hal.TxTimestamped, CountUS: now + 3_000_000,
		Freq: 868_100_000, Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125,
		CodeRate: hal.CodeRate4_5, Payload: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	sim.readTx(conn)
	conn.Close()
	if d := txDone(t, c); d.ID != 6 || !errors.Is(d.Err, lgwsim.ErrNotConnected) {
		t.Errorf("TxDone %+v, want ID 6 with ErrNotConnected", d)
	}
	if st := c.Stats(); st.Lost != 1 || st.Sent != 0 {
		t.Errorf("stats %+v, want 1 lost, none sent", st)
	}
}

// TestCounterWrap starts the counter 50 ms before its 32-bit wrap and sends
// a frame after it.
func TestCounterWrap(t *testing.T) {
	path := socketPath(t)
	sim := newRawSim(t, path)
	c := started(t, path, lgwsim.Options{CounterStart: 0xffff_ffff - 500_000})
	now, _ := c.Counter()
	at := now + 800_000
	if at > now {
		t.Fatalf("counter %d does not wrap within 800 ms", now)
	}
	conn, _ := sim.accept()
	waitConnected(t, c)
	if err := c.Send(context.Background(), hal.TxPacket{ID: 7, Mode: hal.TxTimestamped, CountUS: at,
		Freq: 868_100_000, Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125,
		CodeRate: hal.CodeRate4_5, Payload: []byte{1}}); err != nil {
		t.Fatalf("frame after the wrap: %v", err)
	}
	if rec := sim.readTx(conn); rec.CountUS != at {
		t.Errorf("count_us %d, want %d", rec.CountUS, at)
	}
	if d := txDone(t, c); d.ID != 7 || d.Err != nil || d.CountUS != at {
		t.Errorf("TxDone %+v, want ID 7 at %d", d, at)
	}
}

// TestPPSLatch checks the simulated PPS: the counter at the last whole UTC
// second, once one has passed since Start; nothing without the option.
func TestPPSLatch(t *testing.T) {
	var shift atomic.Int64
	mono := func() int64 { return lgwsim.MonotonicMicros() + shift.Load() }
	path := socketPath(t)
	with := started(t, path, lgwsim.Options{PPS: true, Monotonic: mono})
	without := started(t, path, lgwsim.Options{Monotonic: mono})
	shift.Store(1_200_000) // more than a second after Start
	latch, ok, err := with.PPSLatch()
	cnt, _ := with.Counter()
	if err != nil || !ok {
		t.Fatalf("PPSLatch() = %d, %v, %v; want a latch", latch, ok, err)
	}
	if d := int32(cnt - latch); d < 0 || d >= 1_100_000 {
		t.Errorf("latch %d is %d µs before the counter %d, want within the last second", latch, d, cnt)
	}
	if _, ok, err := without.PPSLatch(); ok || err != nil {
		t.Errorf("PPSLatch() without PPS = %v, %v; want no latch", ok, err)
	}
}
