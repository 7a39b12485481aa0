package sx1301

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/internal/sx130x"
)

// SPISpeed is the SX1301 SPI clock the HAL uses (loragw_spi.native.c
// SPI_SPEED).
const SPISpeed = 8 * physic.MegaHertz

// MaxTxGainLUT is the most rows a TX gain table holds
// (TX_GAIN_LUT_SIZE_MAX).
const MaxTxGainLUT = 16

// TxGain is one row of the board's TX gain table (station.conf
// tx_gain_lut, SX1301 form): the row with the largest RFPower not above
// the requested power is used, and its index goes in the TX header.
type TxGain struct {
	// RFPower is the output power in dBm the row gives.
	RFPower int8
	// PAGain (0..3) drives the board's external PA.
	PAGain uint8
	// DACGain must be 3 (the only SX1257 DAC gain the HAL supports).
	DACGain uint8
	// MixGain is the SX125x mixer gain, 8..15.
	MixGain uint8
	// DigGain is the SX1301 digital gain (0..3).
	DigGain uint8
}

// agcValue is the byte the AGC firmware takes for the row (lgw_start:
// mix_gain + 16·dac_gain + 64·pa_gain).
func (g TxGain) agcValue() byte { return g.MixGain + 16*g.DACGain + 64*g.PAGain }

// check applies lgw_txgain_setconf's limits.
func (g TxGain) check() error {
	switch {
	case g.DigGain > 3:
		return fmt.Errorf("digital gain %d outside 0..3", g.DigGain)
	case g.DACGain != 3:
		return fmt.Errorf("dac gain %d: only 3 is supported", g.DACGain)
	case g.MixGain < 8 || g.MixGain > 15:
		return fmt.Errorf("mixer gain %d outside 8..15", g.MixGain)
	case g.PAGain > 3:
		return fmt.Errorf("pa gain %d outside 0..3", g.PAGain)
	}
	return nil
}

// DefaultTxGainLUT returns the HAL's built-in gain table, used when a
// board gives none (loragw_hal.c txgain_lut: 14 dBm with PA gain 2 and
// mixer gain 10, 27 dBm with PA gain 3 and mixer gain 14).
func DefaultTxGainLUT() []TxGain {
	return []TxGain{
		{RFPower: 14, PAGain: 2, DACGain: 3, MixGain: 10},
		{RFPower: 27, PAGain: 3, DACGain: 3, MixGain: 14},
	}
}

// Options are the board facts and tunables of a Dev. The firmware files
// are required; the zero value of every other field is documented.
type Options struct {
	// Reset is the board's SX1301 reset GPIO. Start pulses it as
	// lora_gateway's reset_lgw.sh does: high, 100 ms, low, 100 ms. Nil
	// leaves it alone (reset done outside).
	Reset gpio.PinOut
	// CalFirmware, AGCFirmware and ARBFirmware name the calibration
	// (version 2), AGC (version 4) and arbiter (version 1) firmware
	// images: 8192-byte binary files, or the C array files cal_fw.var,
	// agc_fw.var and arb_fw.var of Semtech's lora_gateway v5.0.1
	// (libloragw/src), which are read as they are.
	CalFirmware, AGCFirmware, ARBFirmware string
	// TxGainLUT is the board's TX gain table (1..16 rows); empty means
	// DefaultTxGainLUT.
	TxGainLUT []TxGain
	// Wait pauses for d, as the HAL's wait_ms does between steps; nil
	// uses a timer. Tests pass a function that advances a fake clock.
	Wait func(ctx context.Context, d time.Duration) error
	// CalibrationTime is how long the calibration firmware is given
	// before its status is read; 0 means the HAL's 2300 ms.
	CalibrationTime time.Duration
	// MCUTimeout bounds each wait for an AGC firmware status; 0 means
	// 1 s. The status is polled every millisecond (through Wait).
	MCUTimeout time.Duration
	// PollInterval is how often the RX FIFO and the TX status are
	// polled; 0 means 20 ms (Basics Station's RX_POLL_INTV).
	PollInterval time.Duration
	// TxLead is the least time before its start at which Send accepts a
	// timestamped frame; 0 means 20 ms.
	TxLead time.Duration
	// Logger receives warnings about dropped frames and calibration;
	// nil discards.
	Logger *slog.Logger
}

// Info is what the chip said about itself at the last Start.
type Info struct {
	// Version is the VERSION register (ChipVersion).
	Version byte
	// RadioVersions are the SX125x version registers.
	RadioVersions [2]byte
	// CalStatus is MCU_AGC_STATUS after calibration (bit 7 finished,
	// bits 0..6 see lgw_start).
	CalStatus byte
	// TxOffsets are the TX DC offsets the calibration measured, per
	// radio, I then Q, for mixer gains 8..15.
	TxOffsets [2][2][8]int8
}

// Stats counts what the poll loop met since Start.
type Stats struct {
	// Received counts frames delivered to Receive's queue.
	Received int
	// Dropped counts frames lost: damaged records, a corrupt FIFO, a
	// full Receive queue.
	Dropped int
	// LastError is the last problem the poll loop met (nil if none).
	LastError error
}

// Dev is an SX1301 concentrator with two SX1255/SX1257 radios, driven over
// SPI. It implements hal.Concentrator.
type Dev struct {
	opts Options
	log  *slog.Logger
	port string
	// core runs the start/stop state machine, the poll loop, the receive
	// queue and the TX slot (the chip's one TX buffer); its lock guards
	// the chip state below, which the functions of chip() use.
	core *sx130x.Core

	bus       *bus
	radioType string
	calFW     []byte
	agcFW     []byte
	arbFW     []byte
	info      Info
	calStatus byte
	txOffsets [2][2][8]int8
	pps       ppsState
}

var _ hal.Concentrator = (*Dev)(nil)

// New connects to the SX1301 on p (mode 0, 8 bits, SPISpeed) and returns
// a stopped Dev; Start resets and configures the chip. The firmware files
// and the gain table are checked here, so that a bad board setup fails
// early.
func New(p spi.Port, opts *Options) (*Dev, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	cal, err := readFirmware(o.CalFirmware, "calibration")
	if err != nil {
		return nil, err
	}
	agc, err := readFirmware(o.AGCFirmware, "agc")
	if err != nil {
		return nil, err
	}
	arb, err := readFirmware(o.ARBFirmware, "arbiter")
	if err != nil {
		return nil, err
	}
	if len(o.TxGainLUT) == 0 {
		o.TxGainLUT = DefaultTxGainLUT()
	}
	if len(o.TxGainLUT) > MaxTxGainLUT {
		return nil, fmt.Errorf("%w: sx1301: tx gain table of %d rows, at most %d", hal.ErrInvalid, len(o.TxGainLUT), MaxTxGainLUT)
	}
	o.TxGainLUT = append([]TxGain(nil), o.TxGainLUT...)
	for i, g := range o.TxGainLUT {
		if err := g.check(); err != nil {
			return nil, fmt.Errorf("%w: sx1301: tx gain table row %d: %w", hal.ErrInvalid, i, err)
		}
	}
	setDefault(&o.CalibrationTime, 2300*time.Millisecond)
	setDefault(&o.MCUTimeout, time.Second)
	setDefault(&o.PollInterval, 20*time.Millisecond)
	setDefault(&o.TxLead, 20*time.Millisecond)
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := p.Connect(SPISpeed, spi.Mode0, 8)
	if err != nil {
		return nil, fmt.Errorf("sx1301: connect %s: %w", p, err)
	}
	d := &Dev{opts: o, log: log, port: fmt.Sprint(p), bus: newBus(c), calFW: cal, agcFW: agc, arbFW: arb}
	d.core = sx130x.New(d.chip(), sx130x.Options{PollInterval: o.PollInterval, TxLead: o.TxLead, Wait: o.Wait, Logger: log})
	return d, nil
}

// chip is the SX1301 side of the driver, which the core calls with its
// lock held.
func (d *Dev) chip() sx130x.Chip {
	return sx130x.Chip{
		Name:     "sx1301",
		Slots:    []string{"the tx buffer"},
		Check:    checkConfig,
		Start:    d.startChip,
		PollRX:   d.pollRX,
		Counter:  d.liveCounter,
		PPSLatch: d.ppsLatch,
		CheckTx:  checkTx,
		WriteTX:  func(_ int, tx *hal.TxPacket) error { return d.writeTX(tx) },
		TxState:  func(int) (sx130x.TxState, error) { return d.txState() },
		TxNow:    d.liveCounter,
		AbortTX:  func(context.Context, int) error { return d.abortTX() },
		Halt:     d.bus.softReset,
	}
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// String names the SPI port.
func (d *Dev) String() string { return "sx1301(" + d.port + ")" }

// wait pauses for t through Options.Wait, or a timer.
func (d *Dev) wait(ctx context.Context, t time.Duration) error { return d.core.Wait(ctx, t) }

// Info returns what the chip reported at the last Start.
func (d *Dev) Info() Info {
	d.core.Lock()
	defer d.core.Unlock()
	return d.info
}

// Stats returns the poll loop's counters.
func (d *Dev) Stats() Stats { return Stats(d.core.Stats()) }

// Start resets the board and the chip, sets up the radios, runs the
// calibration firmware, configures the demodulators from cfg, loads and
// starts the AGC and arbiter firmware and starts the poll loop.
func (d *Dev) Start(ctx context.Context, cfg hal.Config) error { return d.core.Start(ctx, cfg) }

// startChip runs the start sequence for the board's radio type.
func (d *Dev) startChip(ctx context.Context, cfg *hal.Config) error {
	d.radioType = radioType(cfg)
	if err := d.start(ctx, cfg); err != nil {
		return fmt.Errorf("sx1301: start: %w", err)
	}
	return nil
}

// Stop aborts a queued frame (reported with hal.ErrStopped), stops the
// poll loop, soft-resets the chip (lgw_stop), closes TxDone's channel and
// makes blocked Receive calls return hal.ErrStopped.
func (d *Dev) Stop() error { return d.core.Stop() }

// TxDone returns the channel of TX reports of the current run.
func (d *Dev) TxDone() <-chan hal.TxDone { return d.core.TxDone() }

// Receive returns the next received frame.
func (d *Dev) Receive(ctx context.Context) (hal.RxPacket, error) { return d.core.Receive(ctx) }
