package loadgen

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/loraedge/loraedge/lorawan"
)

// appPort is the FPort of the generator's uplinks.
const appPort = 1

// device is one simulated ABP device (LoRaWAN 1.0.3): its session and its
// uplink frame counter. Only the sender goroutine uses it.
type device struct {
	devEUI           lorawan.EUI64
	devAddr          lorawan.DevAddr
	nwkSKey, appSKey lorawan.AES128Key
	session          *lorawan.Session
	fCnt             uint32 // next FCntUp
}

func newDevice(eui lorawan.EUI64, addr lorawan.DevAddr, nwk, app lorawan.AES128Key) *device {
	return &device{devEUI: eui, devAddr: addr, nwkSKey: nwk, appSKey: app, session: lorawan.NewSession10(nwk, app)}
}

// uplink builds the device's next data frame: an 8-byte application
// payload (the frame counter, big endian, then "LOAD"), encrypted with
// AppSKey, with a real MIC. It returns the frame and its FCnt.
func (d *device) uplink(confirmed bool) ([]byte, uint32, error) {
	fcnt := d.fCnt
	d.fCnt++
	var plain [8]byte
	binary.BigEndian.PutUint32(plain[:4], fcnt)
	copy(plain[4:], "LOAD")
	enc := make([]byte, len(plain))
	if err := d.session.XORFRMPayload(enc, plain[:], true, d.devAddr, fcnt, appPort); err != nil {
		return nil, 0, fmt.Errorf("loadgen: encrypt: %w", err)
	}
	mtype := lorawan.UnconfirmedDataUp
	if confirmed {
		mtype = lorawan.ConfirmedDataUp
	}
	p := lorawan.PHYPayload{
		MHDR:         lorawan.MHDR{MType: mtype, Major: lorawan.LoRaWANR1},
		FHDR:         lorawan.FHDR{DevAddr: d.devAddr, FCnt: uint16(fcnt)},
		FPort:        appPort,
		FPortPresent: true,
		FRMPayload:   enc,
	}
	b, err := p.MarshalBinary()
	if err != nil {
		return nil, 0, fmt.Errorf("loadgen: frame: %w", err)
	}
	mic, err := d.session.UplinkMIC(b[:len(b)-4], d.devAddr, fcnt, 0, 0, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("loadgen: mic: %w", err)
	}
	copy(b[len(b)-4:], mic[:])
	return b, fcnt, nil
}

// channel is one uplink's radio parameters.
type channel struct {
	freq uint32
	dr   int
}

// radioPlan is where the simulated devices transmit: the region's default
// channels at the fastest 125 kHz LoRa data rate each allows.
type radioPlan struct{ channels []channel }

func newRadioPlan(r *lorawan.Region) (*radioPlan, error) {
	drs := r.DataRates()
	var p radioPlan
	for _, c := range r.DefaultChannels() {
		best := -1
		for dr := c.MinDR; dr <= c.MaxDR && dr < len(drs); dr++ {
			d := drs[dr]
			if d.Uplink && d.Modulation == lorawan.ModulationLoRa && d.Bandwidth == 125000 {
				best = dr
			}
		}
		if best >= 0 {
			p.channels = append(p.channels, channel{freq: c.Frequency, dr: best})
		}
	}
	if len(p.channels) == 0 {
		return nil, fmt.Errorf("%w: region %s has no 125 kHz LoRa default channel", ErrOptions, r.Name())
	}
	return &p, nil
}

// pick returns a random channel of the plan.
func (p *radioPlan) pick(rng *rand.Rand) channel { return p.channels[rng.IntN(len(p.channels))] }
