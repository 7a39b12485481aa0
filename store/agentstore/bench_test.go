package agentstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/loraedge/loraedge/store/agentstore/agentstoretest"
)

// BenchmarkSpoolPut measures one committed (fsynced) spool append, the cost
// of each uplink while the LNS is unreachable.
func BenchmarkSpoolPut(b *testing.B) {
	db, _ := agentstoretest.Open(b, nil)
	msg := []byte(`{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":1,"FOpts":"","FPort":1,"FRMPayload":"0102030405060708","MIC":1,"RefTime":1795783677.292109,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":34621422408357864,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795783677.288253}}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := db.SpoolPut(ctx, msg, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
