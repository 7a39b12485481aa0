package uplink

import (
	"fmt"
	"sync"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// cryptoKey names a cached session: the device and whether it is the
// pending session.
type cryptoKey struct {
	dev     lorawan.EUI64
	pending bool
}

// cryptoEntry is a session's expanded crypto, valid while the stored keys
// and version are these.
type cryptoEntry struct {
	keys    store.SessionKeys
	version lorawan.MACVersion
	s       *lorawan.Session
}

// cryptoCache keeps the expanded session crypto of recently heard devices,
// so a frame costs its block encryptions only. An entry is replaced when
// the stored keys differ from the ones it was built from (a join, a
// rejoin, an admin change): there is nothing to invalidate by hand.
type cryptoCache struct {
	max int
	mu  sync.Mutex
	m   map[cryptoKey]cryptoEntry
}

func newCryptoCache(max int) *cryptoCache {
	return &cryptoCache{max: max, m: make(map[cryptoKey]cryptoEntry)}
}

// get returns the crypto of sess, from the cache when its keys are
// unchanged.
func (c *cryptoCache) get(sess *store.Session) (*lorawan.Session, error) {
	k := cryptoKey{sess.DevEUI, sess.Pending}
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok && e.keys == sess.Keys && e.version == sess.MACVersion {
		return e.s, nil
	}
	var s *lorawan.Session
	keys := sess.Keys
	switch sess.MACVersion {
	case lorawan.MACVersion1_0:
		s = lorawan.NewSession10(keys.NwkSKey(), keys.AppSKey)
	case lorawan.MACVersion1_1:
		s = lorawan.NewSession11(keys.FNwkSIntKey, keys.SNwkSIntKey, keys.NwkSEncKey, keys.AppSKey)
	default:
		return nil, fmt.Errorf("uplink: session of %s: unknown mac version %d", sess.DevEUI, sess.MACVersion)
	}
	c.mu.Lock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for old := range c.m { // forget one, any
			delete(c.m, old)
			break
		}
	}
	c.m[k] = cryptoEntry{keys: keys, version: sess.MACVersion, s: s}
	c.mu.Unlock()
	return s, nil
}

// active re-files the crypto of a pending session that became active, so
// the next frame finds it without expanding the keys again.
func (c *cryptoCache) active(dev lorawan.EUI64, s *lorawan.Session, keys store.SessionKeys, v lorawan.MACVersion) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, cryptoKey{dev, true})
	c.m[cryptoKey{dev, false}] = cryptoEntry{keys: keys, version: v, s: s}
}

// deviceEntry is what the data path needs of a device (its record without
// keys, its region and its WirelessDeviceId), as read at store version ver.
// Entries are never changed once made.
type deviceEntry struct {
	ver    uint64
	dev    store.Device
	region *lorawan.Region
	wid    string
}

// deviceCache keeps the settings of recently heard devices (region,
// destination, class, name), so a frame reads no device record. An entry is
// served only while the store's DeviceVersion of its device is the one read
// before the record was: every write or delete of a device moves it after
// committing and before returning, so no copy older than a change is served
// once the change has returned.
type deviceCache struct {
	max int
	mu  sync.Mutex
	m   map[lorawan.EUI64]*deviceEntry
}

func newDeviceCache(max int) *deviceCache {
	return &deviceCache{max: max, m: make(map[lorawan.EUI64]*deviceEntry)}
}

// get returns the entry of dev if it was read at version ver.
func (c *deviceCache) get(dev lorawan.EUI64, ver uint64) (*deviceEntry, bool) {
	c.mu.Lock()
	e, ok := c.m[dev]
	c.mu.Unlock()
	if !ok || e.ver != ver {
		return nil, false
	}
	return e, true
}

// put files an entry, forgetting another one when the cache is full.
func (c *deviceCache) put(e *deviceEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[e.dev.DevEUI]; !ok && len(c.m) >= c.max {
		for old := range c.m { // forget one, any
			delete(c.m, old)
			break
		}
	}
	c.m[e.dev.DevEUI] = e
}
