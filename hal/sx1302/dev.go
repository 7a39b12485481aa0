package sx1302

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/internal/sx130x"
)

// SPISpeed is the SX1302 SPI clock the HAL uses (loragw_spi.h SPI_SPEED).
const SPISpeed = 2 * physic.MegaHertz

// Errors callers may branch on, beside hal's sentinels.
var (
	// ErrFirmware is wrapped by every failure to load or start the AGC or
	// ARB firmware: unreadable file, wrong size, read-back mismatch,
	// parity error, wrong version.
	ErrFirmware = errors.New("sx1302: firmware")
	// ErrTimeout is wrapped when the chip does not reach an expected state
	// in time (an MCU mailbox status, a TX abort).
	ErrTimeout = errors.New("sx1302: timeout")
)

// TempComp are the coefficients of a radio's RSSI temperature compensation
// (station.conf rssi_tcomp): offset = (a·T⁴ + b·T³ + c·T² + d·T + e) / 2^16 dB.
type TempComp struct{ A, B, C, D, E float64 }

// offset returns the compensation in dB at t °C.
func (c TempComp) offset(t float64) float64 {
	return (c.A*t*t*t*t + c.B*t*t*t + c.C*t*t + c.D*t + c.E) / 65536
}

// TxGain is one row of a radio's TX gain table (station.conf tx_gain_lut,
// SX1250 form): the row with the largest RFPower not above the requested
// power is used.
type TxGain struct {
	// RFPower is the output power in dBm the row gives.
	RFPower int8
	// PAGain turns the board's external PA on when non-zero.
	PAGain uint8
	// PwrIdx is the SX1250 power index (0..22).
	PwrIdx uint8
	// DigGain is the digital gain (0..3).
	DigGain uint8
}

// DefaultTxGainLUT returns the SX1250 EU868 gain table of Semtech's
// reference configuration (packet_forwarder/global_conf.json.sx1250.EU868),
// used when Options.TxGainLUT leaves a radio's table empty.
func DefaultTxGainLUT() []TxGain {
	return []TxGain{
		{12, 0, 15, 0}, {13, 0, 16, 0}, {14, 0, 17, 0}, {15, 0, 19, 0}, {16, 0, 20, 0}, {17, 0, 22, 0},
		{18, 1, 1, 0}, {19, 1, 2, 0}, {20, 1, 3, 0}, {21, 1, 4, 0}, {22, 1, 5, 0}, {23, 1, 6, 0},
		{24, 1, 7, 0}, {25, 1, 9, 0}, {26, 1, 11, 0}, {27, 1, 14, 0},
	}
}

// Options are the board facts and tunables of a Dev. The zero value of
// each field is documented; AGCFirmware, ARBFirmware and I2C are required.
type Options struct {
	// PowerEnable and Reset are the board's SX1302 power-enable and reset
	// GPIOs (CoreCell on a Raspberry Pi: GPIO18 and GPIO23). Start drives
	// them as Semtech's reset_lgw.sh does: power on, reset high, reset
	// low, 100 ms apart. Nil leaves the pin alone (reset done outside).
	PowerEnable, Reset gpio.PinOut
	// I2C is the bus of the board's STTS751 temperature sensor
	// (/dev/i2c-1 on a Pi). The HAL refuses to start without the sensor,
	// and so does Start.
	I2C i2c.Bus
	// AGCFirmware and ARBFirmware name the AGC (SX1250 build, version 10)
	// and ARB (version 2) firmware images: 8192-byte binary files, or the
	// C array files agc_fw_sx1250.var and arb_fw.var of Semtech's
	// sx1302_hal V2.1.0 (libloragw/src), which are read as is.
	AGCFirmware, ARBFirmware string
	// TxGainLUT are the radios' TX gain tables; an empty one is
	// DefaultTxGainLUT.
	TxGainLUT [hal.NumRFChains][]TxGain
	// RSSITempComp are the radios' RSSI temperature compensations.
	RSSITempComp [hal.NumRFChains]TempComp
	// FullDuplex selects the full-duplex PA/LNA table (CN490 reference
	// design).
	FullDuplex bool
	// Wait pauses for d, as the HAL's wait_ms does between steps; nil
	// uses a timer. Tests pass a function that advances a fake clock.
	Wait func(ctx context.Context, d time.Duration) error
	// MCUTimeout bounds each wait for an AGC/ARB status and the TX abort;
	// 0 means 1 s. The status is polled every millisecond (through Wait).
	MCUTimeout time.Duration
	// PollInterval is how often the RX buffer, the counter and the TX
	// status are polled; 0 means 10 ms (Basics Station's CoreCell setting).
	PollInterval time.Duration
	// TxLead is the least time before its start at which Send accepts a
	// timestamped frame (register writes take a few ms at 2 MHz); 0 means
	// 20 ms.
	TxLead time.Duration
	// Logger receives warnings about dropped RX buffers; nil discards.
	Logger *slog.Logger
}

// Dev is an SX1302/SX1303 concentrator with SX1250 radios, driven over
// SPI. It implements hal.Concentrator.
type Dev struct {
	opts Options
	port string
	// core runs the start/stop state machine, the poll loop, the receive
	// queue and the TX slots (one per RF chain); its lock guards the chip
	// state below, which the functions of chip() use.
	core *sx130x.Core

	bus      *bus
	agcFW    []byte
	arbFW    []byte
	temp     *stts751
	lastTemp float64
	inst     wrap27
	pps      wrap27
	ppsRaw0  uint32 // PPS register at start
	ppsSeen  bool
	version  byte
	model    byte
	eui      uint64
}

var _ hal.Concentrator = (*Dev)(nil)

// New connects to the SX1302 on p (mode 0, 8 bits, SPISpeed) and returns
// a stopped Dev; Start resets and configures the chip. The firmware files
// are read here, so that a missing or damaged file fails early.
func New(p spi.Port, opts *Options) (*Dev, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	agc, err := readFirmware(o.AGCFirmware, "agc")
	if err != nil {
		return nil, err
	}
	arb, err := readFirmware(o.ARBFirmware, "arb")
	if err != nil {
		return nil, err
	}
	if o.MCUTimeout <= 0 {
		o.MCUTimeout = time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 10 * time.Millisecond
	}
	if o.TxLead <= 0 {
		o.TxLead = 20 * time.Millisecond
	}
	for i := range o.TxGainLUT {
		if len(o.TxGainLUT[i]) == 0 {
			o.TxGainLUT[i] = DefaultTxGainLUT()
		}
	}
	c, err := p.Connect(SPISpeed, spi.Mode0, 8)
	if err != nil {
		return nil, fmt.Errorf("sx1302: connect %s: %w", p, err)
	}
	d := &Dev{opts: o, port: fmt.Sprint(p), bus: newBus(c), agcFW: agc, arbFW: arb}
	d.core = sx130x.New(d.chip(), sx130x.Options{PollInterval: o.PollInterval, TxLead: o.TxLead, Wait: o.Wait, Logger: o.Logger})
	return d, nil
}

// chip is the SX1302 side of the driver, which the core calls with its
// lock held.
func (d *Dev) chip() sx130x.Chip {
	return sx130x.Chip{
		Name:     "sx1302",
		Slots:    []string{"radio_0", "radio_1"},
		Check:    checkConfig,
		Start:    d.startChip,
		PollRX:   d.pollRX,
		Counter:  d.liveCounter,
		PPSLatch: d.ppsLatch,
		CheckTx:  checkTx,
		Slot:     func(tx *hal.TxPacket) int { return tx.RFChain },
		WriteTX:  d.writeTX,
		TxState:  d.txState,
		TxNow:    d.polledCounter,
		AbortTX:  d.abortTX,
		Halt:     d.halt,
	}
}

// String names the SPI port.
func (d *Dev) String() string { return "sx1302(" + d.port + ")" }

// wait pauses for t through Options.Wait, or a timer.
func (d *Dev) wait(ctx context.Context, t time.Duration) error { return d.core.Wait(ctx, t) }

// Info is what the chip says about itself at Start.
type Info struct {
	// Version is COMMON_VERSION (0x5606).
	Version byte
	// Model is the OTP model ID (ModelSX1302a, ModelSX1302b, ModelSX1303).
	Model byte
	// EUI is the chip's EUI-64 from OTP bytes 0..7.
	EUI uint64
}

// Info returns what the chip reported at the last Start.
func (d *Dev) Info() Info {
	d.core.Lock()
	defer d.core.Unlock()
	return Info{Version: d.version, Model: d.model, EUI: d.eui}
}

// Start resets the board, configures the radios and demodulators from
// cfg, loads and starts the AGC and ARB firmware and starts the poll loop.
func (d *Dev) Start(ctx context.Context, cfg hal.Config) error { return d.core.Start(ctx, cfg) }

// startChip finds the temperature sensor and runs the start sequence.
func (d *Dev) startChip(ctx context.Context, cfg *hal.Config) error {
	temp, err := findSTTS751(d.opts.I2C)
	if err != nil {
		return err
	}
	d.temp = temp
	if err := d.start(ctx, cfg); err != nil {
		return fmt.Errorf("sx1302: start: %w", err)
	}
	return nil
}

// checkConfig applies hal's checks and refuses radios this driver cannot
// set up.
func checkConfig(cfg *hal.Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	for i, r := range cfg.Radios {
		if r.Enable && r.Type != "" && r.Type != "SX1250" {
			return fmt.Errorf("%w: sx1302: radio_%d: type %q: this driver drives SX1250 radios only", hal.ErrInvalid, i, r.Type)
		}
	}
	if !cfg.Radios[cfg.ClockSource].Enable {
		return fmt.Errorf("%w: sx1302: clock source radio_%d is disabled", hal.ErrInvalid, cfg.ClockSource)
	}
	return nil
}

// Stop aborts queued frames (reported with hal.ErrStopped), stops the poll
// loop, closes TxDone's channel and makes blocked Receive calls return
// hal.ErrStopped.
func (d *Dev) Stop() error { return d.core.Stop() }

// TxDone returns the channel of TX reports of the current run.
func (d *Dev) TxDone() <-chan hal.TxDone { return d.core.TxDone() }

// Receive returns the next received frame.
func (d *Dev) Receive(ctx context.Context) (hal.RxPacket, error) { return d.core.Receive(ctx) }

// Counter returns the live 32-bit microsecond counter.
func (d *Dev) Counter() (uint32, error) { return d.core.Counter() }

// PPSLatch returns the counter latched at the last PPS pulse.
func (d *Dev) PPSLatch() (uint32, bool, error) { return d.core.PPSLatch() }

// halt turns the CONFIG_DONE LED off once the run has ended.
func (d *Dev) halt() error { return d.bus.writeReg(registers[regGpioGpioOutLOutValue], 0) }

// liveCounter reads both counters and returns the free-running one.
func (d *Dev) liveCounter() (uint32, error) {
	inst, _, err := d.readCounters()
	return inst, err
}

// ppsLatch reads both counters and returns the PPS-latched one, and
// whether it moved since Start.
func (d *Dev) ppsLatch() (uint32, bool, error) {
	_, pps, err := d.readCounters()
	return pps, d.ppsSeen, err
}

// polledCounter returns the free-running counter as the poll loop last
// read it, without a bus access.
func (d *Dev) polledCounter() (uint32, error) { return d.inst.wrap<<27 | d.inst.ref, nil }

// readCounters reads the free-running and PPS-latched 32 MHz counters
// (8 bytes from TIMESTAMP_PPS_MSB2, big-endian, PPS first), reading again
// when the most significant bytes differ between two reads (the HAL's chip
// workaround), and widens both to 32-bit microseconds.
func (d *Dev) readCounters() (inst, pps uint32, err error) {
	var a, b [8]byte
	addr := registers[regTimestampTimestampPpsMsb2TimestampPps].Addr
	if err := d.bus.readBurst(addr, a[:], false); err != nil {
		return 0, 0, err
	}
	if err := d.bus.readBurst(addr, b[:], false); err != nil {
		return 0, 0, err
	}
	if a[0] != b[0] || a[4] != b[4] {
		if err := d.bus.readBurst(addr, a[:], false); err != nil {
			return 0, 0, err
		}
	}
	ppsRaw := be32(a[0:4])
	instRaw := be32(a[4:8])
	if ppsRaw != d.ppsRaw0 {
		d.ppsSeen = true
	}
	return d.inst.update(instRaw / 32), d.pps.update(ppsRaw / 32), nil
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
