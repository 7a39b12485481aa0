package sx1301_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sx1301"
	"github.com/loraedge/loraedge/hal/sx1301/sx1301test"
)

// Example starts the driver on the chip model, as it would on a board's
// /dev/spidev0.0, and receives one frame.
func Example() {
	dir, err := os.MkdirTemp("", "sx1301-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	// Stand-ins for cal_fw.var, agc_fw.var and arb_fw.var.
	var images [3][]byte
	var files [3]string
	for i := range images {
		images[i] = make([]byte, sx1301.FirmwareSize)
		for j := range images[i] {
			images[i][j] = byte(j*(i+3) + i)
		}
		files[i] = filepath.Join(dir, fmt.Sprintf("fw%d.bin", i))
		if err := os.WriteFile(files[i], images[i], 0o600); err != nil {
			fmt.Println(err)
			return
		}
	}
	clk := &sx1301test.Clock{}
	chip, err := sx1301test.New(sx1301test.Options{Clock: clk, CalFirmware: images[0], AGCFirmware: images[1], ARBFirmware: images[2]})
	if err != nil {
		fmt.Println(err)
		return
	}
	dev, err := sx1301.New(chip, &sx1301.Options{
		CalFirmware: files[0], AGCFirmware: files[1], ARBFirmware: files[2],
		// On the model, the HAL's waits move its clock.
		Wait: func(ctx context.Context, d time.Duration) error { clk.Advance(d); return ctx.Err() },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer dev.Stop()

	var cfg hal.Config
	cfg.Radios[0] = hal.RFChain{Enable: true, Freq: 868_500_000, Type: "SX1257", RSSIOffset: -166, TxEnable: true}
	for i, f := range []int32{-400_000, -200_000, 0} {
		cfg.MultiSF[i] = hal.IFChain{Enable: true, IF: f}
	}
	ctx := context.Background()
	if err := dev.Start(ctx, cfg); err != nil {
		fmt.Println(err)
		return
	}
	chip.InjectPacket(sx1301.PacketRecord{Status: sx1301.StatusCRCOK, Payload: []byte{0x40, 1, 2, 3, 4},
		IFChain: 1, SpreadingFactor: 9, CodingRate: 1, SNR: 30, RSSI: 50, Timestamp: chip.Counter()})
	p, err := dev.Receive(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d Hz SF%d %s RSSI %.0f dBm SNR %.1f dB\n", p.Freq, p.SpreadingFactor, p.CodeRate, p.RSSI, p.SNR)
	// Output: 868300000 Hz SF9 4/5 RSSI -81 dBm SNR 7.5 dB
}
