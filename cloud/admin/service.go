package admin

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
	"unicode/utf8"

	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	cloudroute "github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// Store is what the admin service needs from the cloud's store; *store.DB
// has it.
type Store interface {
	GetGateway(ctx context.Context, eui lorawan.EUI64) (store.Gateway, error)
	PutGateway(ctx context.Context, g store.Gateway) error
	ListGateways(ctx context.Context) ([]store.Gateway, error)
	DeleteGateway(ctx context.Context, eui lorawan.EUI64) error

	GetDevice(ctx context.Context, devEUI lorawan.EUI64) (store.Device, error)
	PutDevice(ctx context.Context, d store.Device) error
	ListDevices(ctx context.Context) ([]store.Device, error)
	DeleteDevice(ctx context.Context, devEUI lorawan.EUI64) error

	GetDestination(ctx context.Context, name string) (store.Destination, error)
	PutDestination(ctx context.Context, d store.Destination) error
	ListDestinations(ctx context.Context) ([]store.Destination, error)
	DeleteDestination(ctx context.Context, name string) error

	// CUPS (cups.go).
	ListCUPSGateways(ctx context.Context) ([]store.CUPSGateway, error)
	UpdateCUPS(ctx context.Context, eui lorawan.EUI64, fn func(g *store.Gateway, c *store.CUPSGateway) error) error
	FleetTarget(ctx context.Context) (string, error)
	SetFleetTarget(ctx context.Context, version string) error
	AddSigningKey(ctx context.Context, k store.SigningKey) error
	GetSigningKey(ctx context.Context, name string) (store.SigningKey, error)
	ListSigningKeys(ctx context.Context) ([]store.SigningKey, error)
	GetUpdate(ctx context.Context, version string) (store.Update, error)
	PutUpdate(ctx context.Context, u store.Update, data []byte) error
	AddUpdateSignature(ctx context.Context, version string, sig store.UpdateSignature) error
	ListUpdates(ctx context.Context) ([]store.Update, error)
}

var _ Store = (*store.DB)(nil)

// Service validates admin requests and applies them to the store. It is
// safe for concurrent use: creates and deletes are serialised, so "create
// unless it exists" holds between concurrent API calls.
type Service struct {
	db     Store
	ca     func() (*pki.CA, error) // nil: no credential rotation
	netIDs []lorawan.NetID         // the gateways' NetID filter; nil: none
	mu     sync.Mutex
}

// WithNetIDFilter gives the Service the NetIDs the cloud's gateways filter
// data frames by (router_config NetID, network.filter_net_id): an ABP
// device whose DevAddr the gateways would drop is then refused, since the
// cloud would never hear it. Nil or empty filters nothing.
func WithNetIDFilter(netIDs []lorawan.NetID) ServiceOption {
	return func(s *Service) { s.netIDs = slices.Clone(netIDs) }
}

// NewService returns a Service over db.
func NewService(db Store, opts ...ServiceOption) *Service {
	s := &Service{db: db}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Token limits for gateway tokens.
const (
	minTokenLen = 16
	maxTokenLen = 1024
)

// invalid returns an ErrInvalid error with a message of its own.
func invalid(format string, a ...any) error {
	return &codedError{kind: ErrInvalid, msg: "admin: " + fmt.Sprintf(format, a...)}
}

// exists returns an ErrExists error.
func exists(what string) error {
	return &codedError{kind: ErrExists, msg: "admin: " + what + " exists already"}
}

// storeErr classifies an error of the store by its sentinel.
func storeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return classify(ErrNotFound, err)
	case errors.Is(err, store.ErrInvalid):
		return classify(ErrInvalid, err)
	case errors.Is(err, store.ErrReferenced):
		return classify(ErrInUse, err)
	}
	return err
}

// region returns the canonical name of a region name.
func region(name string) (*lorawan.Region, error) {
	if name == "" {
		return nil, invalid("region is required")
	}
	r, err := lorawan.RegionByName(name)
	if err != nil {
		var names []string
		for _, r := range lorawan.Regions() {
			names = append(names, r.Name())
		}
		return nil, invalid("region %q is unknown; want one of %s", name, strings.Join(names, ", "))
	}
	return r, nil
}

// checkToken validates a gateway token without ever repeating it.
func checkToken(t Secret) error {
	if len(t) < minTokenLen || len(t) > maxTokenLen {
		return invalid("gateway token: want %d to %d characters, got %d", minTokenLen, maxTokenLen, len(t))
	}
	for _, r := range t {
		if r <= 0x20 || r == 0x7f {
			return invalid("gateway token: holds a space or control character")
		}
	}
	return nil
}

// gatewayRecord turns a spec into a store record (without the fields the
// spec cannot set).
func gatewayRecord(spec GatewaySpec) (store.Gateway, error) {
	if spec.EUI == (lorawan.EUI64{}) {
		return store.Gateway{}, invalid("gateway eui is required (and not zero)")
	}
	r, err := region(spec.Region)
	if err != nil {
		return store.Gateway{}, err
	}
	n := r.SubBands()
	switch {
	case n == 0 && spec.SubBand != 0:
		return store.Gateway{}, invalid("gateway %s: region %s has no sub-bands (sub-band %d)", spec.EUI, r.Name(), spec.SubBand)
	case spec.SubBand < 0 || spec.SubBand > n:
		return store.Gateway{}, invalid("gateway %s: sub-band %d: want 1 to %d for %s (0 for the default)", spec.EUI, spec.SubBand, n, r.Name())
	}
	if err := checkText("gateway name", spec.Name); err != nil {
		return store.Gateway{}, err
	}
	g := store.Gateway{EUI: spec.EUI, Name: spec.Name, Region: r.Name(), SubBand: spec.SubBand}
	if spec.Token != "" {
		if err := checkToken(spec.Token); err != nil {
			return store.Gateway{}, err
		}
		g.SetToken(string(spec.Token))
	}
	return g, nil
}

// AddGateway creates the gateway, or with replace creates or replaces it.
// A replaced gateway takes exactly what spec gives (a token not given is
// removed); it keeps what a spec cannot set: its pinned certificate
// fingerprints, CreatedAt and LastSeen.
func (s *Service) AddGateway(ctx context.Context, spec GatewaySpec, replace bool) (Gateway, error) {
	g, err := gatewayRecord(spec)
	if err != nil {
		return Gateway{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.db.GetGateway(ctx, g.EUI)
	switch {
	case err == nil && !replace:
		return Gateway{}, exists("gateway " + g.EUI.String())
	case err == nil:
		g.CertFingerprints = old.CertFingerprints
	case !errors.Is(err, store.ErrNotFound):
		return Gateway{}, storeErr(err)
	}
	if err := s.db.PutGateway(ctx, g); err != nil {
		return Gateway{}, storeErr(err)
	}
	return s.GetGateway(ctx, g.EUI)
}

// GetGateway returns one gateway.
func (s *Service) GetGateway(ctx context.Context, eui lorawan.EUI64) (Gateway, error) {
	g, err := s.db.GetGateway(ctx, eui)
	if err != nil {
		return Gateway{}, storeErr(err)
	}
	return gatewayView(g), nil
}

// ListGateways returns every gateway, ordered by EUI.
func (s *Service) ListGateways(ctx context.Context) ([]Gateway, error) {
	gs, err := s.db.ListGateways(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	out := make([]Gateway, 0, len(gs))
	for _, g := range gs {
		out = append(out, gatewayView(g))
	}
	return out, nil
}

// DeleteGateway removes a gateway.
func (s *Service) DeleteGateway(ctx context.Context, eui lorawan.EUI64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return storeErr(s.db.DeleteGateway(ctx, eui))
}

// keyArg is one key of a DeviceSpec, named as the CLI and API name it.
type keyArg struct {
	name string
	key  *Key
}

// need checks that every key of want is given and not zero, and that none
// of refuse is given (why says why they do not belong).
func needKeys(dev lorawan.EUI64, want, refuse []keyArg, why string) error {
	for _, k := range want {
		if k.key == nil {
			return invalid("device %s: %s is required %s", dev, k.name, why)
		}
		if *k.key == (Key{}) {
			return invalid("device %s: %s is all zeros", dev, k.name)
		}
	}
	for _, k := range refuse {
		if k.key != nil {
			return invalid("device %s: %s does not belong %s", dev, k.name, why)
		}
	}
	return nil
}

// deviceRecord validates a spec and turns it into a store record.
func deviceRecord(spec DeviceSpec) (store.Device, error) {
	dev := spec.DevEUI
	if dev == (lorawan.EUI64{}) {
		return store.Device{}, invalid("device deveui is required (and not zero)")
	}
	if spec.MACVersion == "" {
		return store.Device{}, invalid("device %s: mac version is required (1.0.x or 1.1)", dev)
	}
	v, err := lorawan.ParseMACVersion(spec.MACVersion)
	if err != nil {
		return store.Device{}, invalid("device %s: mac version %q: want 1.0, 1.0.0 to 1.0.4, or 1.1", dev, spec.MACVersion)
	}
	class := strings.ToUpper(spec.Class)
	switch class {
	case "":
		class = store.ClassA
	case store.ClassA, store.ClassC:
	default:
		return store.Device{}, invalid("device %s: class %q: want A or C", dev, spec.Class)
	}
	r, err := region(spec.Region)
	if err != nil {
		return store.Device{}, err
	}
	if spec.Destination == "" {
		return store.Device{}, invalid("device %s: destination is required", dev)
	}
	if err := checkName(spec.Destination); err != nil {
		return store.Device{}, err
	}
	if err := checkText("device name", spec.Name); err != nil {
		return store.Device{}, err
	}
	d := store.Device{
		DevEUI:      dev,
		Name:        spec.Name,
		MACVersion:  spec.MACVersion,
		Class:       class,
		Region:      r.Name(),
		Destination: spec.Destination,
	}
	if spec.MACVersion == "1.1.0" {
		d.MACVersion = "1.1"
	}
	root := []keyArg{{"appkey", spec.AppKey}, {"nwkkey", spec.NwkKey}}
	s10 := []keyArg{{"nwkskey", spec.NwkSKey}, {"appskey", spec.AppSKey}}
	s11 := []keyArg{{"fnwksintkey", spec.FNwkSIntKey}, {"snwksintkey", spec.SNwkSIntKey}, {"nwksenckey", spec.NwkSEncKey}, {"appskey", spec.AppSKey}}
	if spec.DevAddr == nil { // OTAA
		if spec.JoinEUI == nil {
			return store.Device{}, invalid("device %s: joineui is required for OTAA (ABP devices give devaddr)", dev)
		}
		d.JoinEUI = *spec.JoinEUI
		session := []keyArg{{"nwkskey", spec.NwkSKey}, {"fnwksintkey", spec.FNwkSIntKey}, {"snwksintkey", spec.SNwkSIntKey}, {"nwksenckey", spec.NwkSEncKey}, {"appskey", spec.AppSKey}}
		if err := needKeys(dev, nil, session, "to an OTAA device (session keys come from the join; give devaddr for ABP)"); err != nil {
			return store.Device{}, err
		}
		if v == lorawan.MACVersion1_1 {
			err = needKeys(dev, root, nil, "for an OTAA LoRaWAN 1.1 device")
		} else {
			err = needKeys(dev, root[:1], root[1:], "to an OTAA LoRaWAN 1.0.x device (nwkkey is LoRaWAN 1.1)")
		}
		if err != nil {
			return store.Device{}, err
		}
		d.RootKeys = store.RootKeys{AppKey: spec.AppKey.aes()}
		if spec.NwkKey != nil {
			d.RootKeys.NwkKey = spec.NwkKey.aes()
		}
		return d, nil
	}
	// ABP
	d.ABP, d.DevAddr = true, *spec.DevAddr
	if spec.JoinEUI != nil {
		d.JoinEUI = *spec.JoinEUI
	}
	if err := needKeys(dev, nil, root, "to an ABP device (it never joins)"); err != nil {
		return store.Device{}, err
	}
	if v == lorawan.MACVersion1_1 {
		if err := needKeys(dev, s11, s10[:1], "for an ABP LoRaWAN 1.1 device (nwkskey is LoRaWAN 1.0.x)"); err != nil {
			return store.Device{}, err
		}
		d.ABPKeys = store.SessionKeys{
			FNwkSIntKey: spec.FNwkSIntKey.aes(),
			SNwkSIntKey: spec.SNwkSIntKey.aes(),
			NwkSEncKey:  spec.NwkSEncKey.aes(),
			AppSKey:     spec.AppSKey.aes(),
		}
		return d, nil
	}
	if err := needKeys(dev, s10, s11[:3], "for an ABP LoRaWAN 1.0.x device (fnwksintkey, snwksintkey and nwksenckey are LoRaWAN 1.1)"); err != nil {
		return store.Device{}, err
	}
	d.ABPKeys = store.SessionKeys10(spec.NwkSKey.aes(), spec.AppSKey.aes())
	return d, nil
}

// checkDevAddrNetID refuses an ABP DevAddr whose frames gateways filtering
// by netIDs drop, naming the blocks they forward and the setting that
// turns the filter off.
func checkDevAddrNetID(dev lorawan.EUI64, addr lorawan.DevAddr, netIDs []lorawan.NetID) error {
	if gateway.ForwardsDevAddr(netIDs, addr) {
		return nil
	}
	var blocks []string
	for _, n := range netIDs {
		first, last := gateway.ForwardedDevAddrs(n)
		blocks = append(blocks, fmt.Sprintf("%s-%s (NetID %s)", first, last, n))
	}
	return invalid("device %s: devaddr %s is outside the network: gateways forward only data frames of devaddr %s "+
		"(router_config NetID filter) and would drop this device's; pick a devaddr there, or set network.filter_net_id = false",
		dev, addr, strings.Join(blocks, " or "))
}

// ValidateNetID checks an ABP spec's DevAddr against the NetID filter of
// the cloud's gateways (see WithNetIDFilter), without a store: a tool that
// reaches the cloud through its API can refuse the device first. OTAA
// specs pass (their address comes from the join).
func (spec DeviceSpec) ValidateNetID(netIDs []lorawan.NetID) error {
	if spec.DevAddr == nil {
		return nil
	}
	return checkDevAddrNetID(spec.DevEUI, *spec.DevAddr, netIDs)
}

// AddDevice creates the device, or with replace creates or replaces it. The
// destination it names must exist. A replaced device keeps its sessions and
// frame counters, except an ABP device whose address or keys change, which
// starts a fresh session. An ABP device whose DevAddr the gateways' NetID
// filter drops (WithNetIDFilter) is refused.
func (s *Service) AddDevice(ctx context.Context, spec DeviceSpec, replace bool) (Device, error) {
	d, err := deviceRecord(spec)
	if err != nil {
		return Device{}, err
	}
	if d.ABP {
		if err := checkDevAddrNetID(d.DevEUI, d.DevAddr, s.netIDs); err != nil {
			return Device{}, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.db.GetDestination(ctx, d.Destination); errors.Is(err, store.ErrNotFound) {
		return Device{}, invalid("device %s: destination %q does not exist (add it first)", d.DevEUI, d.Destination)
	} else if err != nil {
		return Device{}, storeErr(err)
	}
	_, err = s.db.GetDevice(ctx, d.DevEUI)
	switch {
	case err == nil && !replace:
		return Device{}, exists("device " + d.DevEUI.String())
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return Device{}, storeErr(err)
	}
	if err := s.db.PutDevice(ctx, d); err != nil {
		return Device{}, storeErr(err)
	}
	return s.GetDevice(ctx, d.DevEUI)
}

// GetDevice returns one device, without keys.
func (s *Service) GetDevice(ctx context.Context, devEUI lorawan.EUI64) (Device, error) {
	d, err := s.db.GetDevice(ctx, devEUI)
	if err != nil {
		return Device{}, storeErr(err)
	}
	return deviceView(d), nil
}

// ListDevices returns every device, ordered by DevEUI, without keys.
func (s *Service) ListDevices(ctx context.Context) ([]Device, error) {
	ds, err := s.db.ListDevices(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	out := make([]Device, 0, len(ds))
	for _, d := range ds {
		out = append(out, deviceView(d))
	}
	return out, nil
}

// DeleteDevice removes a device with its sessions, DevNonce history and
// downlink queue.
func (s *Service) DeleteDevice(ctx context.Context, devEUI lorawan.EUI64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return storeErr(s.db.DeleteDevice(ctx, devEUI))
}

// defaultQoS is the MQTT QoS of a destination that names none: at least once.
const defaultQoS = 1

// destinationRecord validates a spec and turns it into a store record.
func destinationRecord(spec DestinationSpec) (store.Destination, error) {
	d := store.Destination{Name: spec.Name, Description: spec.Description}
	if err := checkName(spec.Name); err != nil {
		return d, err
	}
	if err := checkText("destination description", spec.Description); err != nil {
		return d, err
	}
	kind := strings.ToLower(spec.Kind)
	if kind == "" {
		switch {
		case spec.MQTTTopic != "" && spec.HTTPURL != "":
			return d, invalid("destination %s: give an mqtt topic or an http url, not both", spec.Name)
		case spec.MQTTTopic != "":
			kind = store.KindMQTT
		case spec.HTTPURL != "":
			kind = store.KindHTTP
		default:
			return d, invalid("destination %s: give an mqtt topic or an http url", spec.Name)
		}
	}
	d.Kind = kind
	switch kind {
	case store.KindMQTT:
		if spec.HTTPURL != "" || spec.HTTPHeader != "" || spec.HTTPSecret != "" {
			return d, invalid("destination %s: http settings on an mqtt destination", spec.Name)
		}
		if err := checkText("destination "+spec.Name+" mqtt topic", spec.MQTTTopic); err != nil {
			return d, err
		}
		if err := checkTopic(spec.MQTTTopic); err != nil {
			return d, invalid("destination %s: %v", spec.Name, err)
		}
		d.MQTTTopic, d.QoS = spec.MQTTTopic, defaultQoS
		if spec.QoS != nil {
			if *spec.QoS > 2 {
				return d, invalid("destination %s: qos %d: want 0, 1 or 2", spec.Name, *spec.QoS)
			}
			d.QoS = *spec.QoS
		}
	case store.KindHTTP:
		if spec.MQTTTopic != "" || spec.QoS != nil {
			return d, invalid("destination %s: mqtt settings on an http destination", spec.Name)
		}
		if spec.HTTPURL == "" {
			return d, invalid("destination %s: http url is required", spec.Name)
		}
		u, err := url.Parse(spec.HTTPURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return d, invalid("destination %s: http url %q: want an absolute http or https url", spec.Name, spec.HTTPURL)
		}
		if u.User != nil {
			return d, invalid("destination %s: credentials in the url; use the header secret", spec.Name)
		}
		d.HTTPURL = spec.HTTPURL
		if spec.HTTPSecret == "" {
			if spec.HTTPHeader != "" {
				return d, invalid("destination %s: header %q without a secret", spec.Name, spec.HTTPHeader)
			}
			break
		}
		for _, r := range spec.HTTPSecret {
			if r < 0x20 || r == 0x7f {
				return d, invalid("destination %s: header secret holds a control character", spec.Name)
			}
		}
		if len(spec.HTTPSecret) > 4096 {
			return d, invalid("destination %s: header secret longer than 4096 bytes", spec.Name)
		}
		d.HTTPHeader, d.HTTPSecret = spec.HTTPHeader, store.Secret(spec.HTTPSecret)
		if d.HTTPHeader == "" {
			d.HTTPHeader = "Authorization"
		}
		if !checkHeaderName(d.HTTPHeader) {
			return d, invalid("destination %s: header name %q is not an http field name", spec.Name, d.HTTPHeader)
		}
	default:
		return d, invalid("destination %s: kind %q: want mqtt or http", spec.Name, spec.Kind)
	}
	return d, nil
}

// checkText accepts what the store accepts in a text field: at most 128
// bytes, no control characters.
func checkText(what, s string) error {
	if len(s) > 128 {
		return invalid("%s longer than 128 bytes", what)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return invalid("%s %q holds a control character", what, s)
		}
	}
	return nil
}

// checkHeaderName accepts an HTTP field name (an RFC 9110 token).
func checkHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return true
}

// checkName accepts a destination name as the store does: 1 to 128
// letters, digits, '-', '_' and '.' (safe in a URL path and a topic).
func checkName(s string) error {
	if s == "" {
		return invalid("destination name is required")
	}
	if len(s) > 128 {
		return invalid("destination name longer than 128 characters")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return invalid("destination name %q: only letters, digits, '-', '_' and '.'", s)
		}
	}
	return nil
}

// sampleTopicFields returns the values a topic template is tried with:
// those of a message the cloud's router publishes (route.TopicFields), so
// that a field the router does not have is refused here, not when the cloud
// starts.
func sampleTopicFields() cloudroute.TopicFields {
	return cloudroute.TopicFields{
		DevEui:           "0011223344556677",
		WirelessDeviceId: "sample-device",
		DevAddr:          "01020304",
		FPort:            1,
		Destination:      "sample",
		Event:            cloudroute.EventUplink,
	}
}

// checkTopic checks an MQTT topic template: it must parse as a text/template,
// its literal text may hold no MQTT wildcard ('+', '#'), since uplinks are
// published to it, and it must render a topic from the fields the router
// gives it (route.TopicFields): a misspelt field, stored, would keep the
// cloud from starting.
func checkTopic(topic string) error {
	if topic == "" {
		return errors.New("mqtt topic is required")
	}
	t, err := template.New("topic").Option("missingkey=error").Parse(topic)
	if err != nil {
		return fmt.Errorf("mqtt topic template: %w", err)
	}
	if err := checkTopicText(topic, t); err != nil {
		return err
	}
	var b strings.Builder
	if err := t.Execute(&b, sampleTopicFields()); err != nil {
		return fmt.Errorf("mqtt topic template: %w (the fields are %s)", err, topicFieldNames())
	}
	switch out := b.String(); {
	case out == "":
		return fmt.Errorf("mqtt topic %q renders an empty topic", topic)
	case len(out) > 65535 || !utf8.ValidString(out) || strings.ContainsAny(out, "+#\x00"):
		return fmt.Errorf("mqtt topic %q renders %q, which is not a topic to publish to", topic, out)
	}
	return nil
}

// topicFieldNames lists the fields a topic template may use, for errors.
func topicFieldNames() string {
	var names []string
	for _, f := range reflect.VisibleFields(reflect.TypeFor[cloudroute.TopicFields]()) {
		names = append(names, "."+f.Name)
	}
	return strings.Join(names, ", ")
}

// checkTopicText refuses MQTT wildcards in the literal text of a parsed
// topic template, in every branch (taken or not by the sample).
func checkTopicText(topic string, t *template.Template) error {
	var walk func(n parse.Node) error
	walk = func(n parse.Node) error {
		switch n := n.(type) {
		case *parse.TextNode:
			if strings.ContainsAny(string(n.Text), "+#\x00") {
				return fmt.Errorf("mqtt topic %q: '+' and '#' are wildcards, not for publishing", topic)
			}
		case *parse.ListNode:
			for _, c := range n.Nodes {
				if err := walk(c); err != nil {
					return err
				}
			}
		case *parse.IfNode:
			return walkBranch(walk, &n.BranchNode)
		case *parse.RangeNode:
			return walkBranch(walk, &n.BranchNode)
		case *parse.WithNode:
			return walkBranch(walk, &n.BranchNode)
		}
		return nil
	}
	if t.Tree == nil || t.Tree.Root == nil {
		return nil
	}
	return walk(t.Tree.Root)
}

func walkBranch(walk func(parse.Node) error, b *parse.BranchNode) error {
	if b.List != nil {
		if err := walk(b.List); err != nil {
			return err
		}
	}
	if b.ElseList != nil {
		return walk(b.ElseList)
	}
	return nil
}

// AddDestination creates the destination, or with replace creates or
// replaces it with exactly what spec gives.
func (s *Service) AddDestination(ctx context.Context, spec DestinationSpec, replace bool) (Destination, error) {
	d, err := destinationRecord(spec)
	if err != nil {
		return Destination{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = s.db.GetDestination(ctx, d.Name)
	switch {
	case err == nil && !replace:
		return Destination{}, exists(fmt.Sprintf("destination %q", d.Name))
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return Destination{}, storeErr(err)
	}
	if err := s.db.PutDestination(ctx, d); err != nil {
		return Destination{}, storeErr(err)
	}
	return s.GetDestination(ctx, d.Name)
}

// GetDestination returns one destination, without its secret.
func (s *Service) GetDestination(ctx context.Context, name string) (Destination, error) {
	d, err := s.db.GetDestination(ctx, name)
	if err != nil {
		return Destination{}, storeErr(err)
	}
	return destinationView(d), nil
}

// ListDestinations returns every destination, ordered by name, without
// secrets.
func (s *Service) ListDestinations(ctx context.Context) ([]Destination, error) {
	ds, err := s.db.ListDestinations(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	out := make([]Destination, 0, len(ds))
	for _, d := range ds {
		out = append(out, destinationView(d))
	}
	return out, nil
}

// DeleteDestination removes a destination; ErrInUse while devices name it.
func (s *Service) DeleteDestination(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return storeErr(s.db.DeleteDestination(ctx, name))
}

// Validate checks the spec as AddGateway does, without a store: a tool can
// refuse bad input before it opens anything.
func (spec GatewaySpec) Validate() error {
	_, err := gatewayRecord(spec)
	return err
}

// Validate checks the spec as AddDevice does, except that its destination
// exists, which only the store knows.
func (spec DeviceSpec) Validate() error {
	_, err := deviceRecord(spec)
	return err
}

// Validate checks the spec as AddDestination does, without a store.
func (spec DestinationSpec) Validate() error {
	_, err := destinationRecord(spec)
	return err
}
