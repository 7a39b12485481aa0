package cupsclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store/agentstore"
)

// checkResult is what a check changed.
type checkResult struct {
	changed  []string
	tcStaged bool
}

// check is one CUPS interaction: a request, the answer applied, and, while
// the answer stages a new CUPS set, a request with that set at once.
func (c *Client) check(ctx context.Context) (checkResult, error) {
	var res checkResult
	for round := 1; ; round++ {
		ans, used, rep, err := c.exchange(ctx)
		if err != nil {
			c.emit(Event{Kind: EventChecked, Err: err})
			return res, err
		}
		out, err := c.apply(ctx, ans, used.set, rep)
		c.emit(Event{Kind: EventChecked, Set: used.via, Changed: out.changed, Err: err})
		if err != nil {
			return res, err
		}
		if len(out.changed) == 0 {
			c.log.Debug("CUPS check: nothing changed", "via", used.via)
		} else {
			c.log.Info("CUPS check: answer applied", "via", used.via, "changed", out.changed)
		}
		res.changed = append(res.changed, out.changed...)
		res.tcStaged = res.tcStaged || out.tcStaged
		if !out.cupsStaged || round == maxRounds {
			// A CUPS set still staged after the last round is tried
			// first at the next check.
			return res, nil
		}
		c.log.Info("CUPS provided CUPS updates: reconnecting to CUPS at once")
	}
}

// candidate is a CUPS set a request may go out with.
type candidate struct {
	via string // "staged", "reg", "bak", "boot"
	set agentstore.Credentials
}

// report is what a request reports for each kind: the staged set when one
// is on trial (it is about to become reg), else the reg set.
type report struct {
	cups, tc       agentstore.Credentials
	hasCUPS, hasTC bool
}

// current returns the set of kind k a request reports.
func (c *Client) current(ctx context.Context, k agentstore.Kind) (agentstore.Credentials, bool, error) {
	s, err := c.opts.Store.StagedCredentials(ctx, k)
	if err == nil {
		return s, true, nil
	}
	if !errors.Is(err, agentstore.ErrNotFound) {
		return agentstore.Credentials{}, false, err
	}
	s, err = c.opts.Store.Credentials(ctx, k, agentstore.SetReg)
	if errors.Is(err, agentstore.ErrNotFound) {
		return agentstore.Credentials{}, false, nil
	}
	return s, err == nil, err
}

func (c *Client) report(ctx context.Context) (report, error) {
	var r report
	var err error
	if r.cups, r.hasCUPS, err = c.current(ctx, agentstore.KindCUPS); err != nil {
		return r, err
	}
	r.tc, r.hasTC, err = c.current(ctx, agentstore.KindTC)
	return r, err
}

// request builds the update-info body of r.
func (c *Client) request(r report) ([]byte, error) {
	req := cups.UpdateInfoRequest{
		Router:      cups.RouterID{EUI: c.opts.RouterEUI},
		CUPSCredCRC: cups.CredCRC(nil, nil, nil),
		TCCredCRC:   cups.CredCRC(nil, nil, nil),
		Station:     c.opts.Station,
		Model:       c.opts.Model,
		Package:     c.opts.Package,
		Keys:        c.keyCRCs,
	}
	if r.hasCUPS {
		req.CUPSCredCRC = r.cups.CRC()
		if r.cups.URI != "" {
			u := r.cups.URI
			req.CUPSURI = &u
		}
	}
	if r.hasTC {
		req.TCCredCRC = r.tc.CRC()
		if r.tc.URI != "" {
			u := r.tc.URI
			req.TCURI = &u
		}
	}
	b, err := req.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("cupsclient: %w", err)
	}
	return b, nil
}

// candidates returns the CUPS sets to try, in order: staged, reg, bak,
// boot, each with a URI, without repeats.
func (c *Client) candidates(ctx context.Context) ([]candidate, error) {
	var out []candidate
	add := func(via string, s agentstore.Credentials) {
		if s.URI == "" {
			return
		}
		for _, o := range out {
			if o.set.Equal(s) {
				return
			}
		}
		out = append(out, candidate{via: via, set: s})
	}
	s, err := c.opts.Store.StagedCredentials(ctx, agentstore.KindCUPS)
	switch {
	case err == nil:
		add(setStaged, s)
	case !errors.Is(err, agentstore.ErrNotFound):
		return nil, err
	}
	for _, set := range agentstore.Sets() {
		s, err := c.opts.Store.Credentials(ctx, agentstore.KindCUPS, set)
		if errors.Is(err, agentstore.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		add(string(set), s)
	}
	if len(out) == 0 {
		return nil, ErrNoCUPSSet
	}
	return out, nil
}

// exchange sends the update-info request with the first CUPS set that gets
// a well-formed answer, trying staged, reg, bak and boot in turn. A staged
// set that is answered is promoted; one that is not is discarded.
func (c *Client) exchange(ctx context.Context) (*cups.UpdateInfoResponse, candidate, report, error) {
	cands, err := c.candidates(ctx)
	if err != nil {
		return nil, candidate{}, report{}, err
	}
	var errs []error
	for _, cd := range cands {
		rep, err := c.report(ctx)
		if err != nil {
			return nil, candidate{}, report{}, err
		}
		body, err := c.request(rep)
		if err != nil {
			return nil, candidate{}, report{}, err
		}
		c.log.Debug("CUPS request", "via", cd.via, "uri", cd.set.URI)
		ans, err := c.ask(ctx, cd.set, body)
		if ctx.Err() != nil {
			return nil, candidate{}, report{}, ctx.Err()
		}
		if err == nil {
			if cd.via == setStaged {
				if err := c.opts.Store.PromoteStaged(ctx, agentstore.KindCUPS); err != nil {
					return nil, candidate{}, report{}, err
				}
				c.log.Info("new CUPS credentials answered: promoted; the previous set is kept as bak", "credentials", cd.set)
				c.emit(Event{Kind: EventPromoted, Cred: agentstore.KindCUPS, CRC: cd.set.CRC()})
			}
			return ans, cd, rep, nil
		}
		c.log.Warn("CUPS request failed", "via", cd.via, "uri", cd.set.URI, "error", err)
		errs = append(errs, fmt.Errorf("%s set: %w", cd.via, err))
		if cd.via == setStaged {
			if err := c.opts.Store.DiscardStaged(ctx, agentstore.KindCUPS); err != nil {
				return nil, candidate{}, report{}, err
			}
			c.log.Warn("new CUPS credentials rolled back; back on the previous set", "credentials", cd.set)
			c.emit(Event{Kind: EventRolledBack, Cred: agentstore.KindCUPS, CRC: cd.set.CRC(), Err: err})
		}
	}
	return nil, candidate{}, report{}, errors.Join(errs...)
}

// ask posts body with set and decodes the answer.
func (c *Client) ask(ctx context.Context, set agentstore.Credentials, body []byte) (*cups.UpdateInfoResponse, error) {
	raw, err := post(ctx, set, body, c.opts.ConnTimeout, c.opts.MaxResponseSize)
	if err != nil {
		return nil, err
	}
	var ans cups.UpdateInfoResponse
	if err := ans.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("cupsclient: answer of %d bytes: %w", len(raw), err)
	}
	return &ans, nil
}

// outcome is what apply did.
type outcome struct {
	changed              []string
	cupsStaged, tcStaged bool
}

// changedSegments names the segments an answer carries.
func changedSegments(a *cups.UpdateInfoResponse) []string {
	var out []string
	for _, s := range []struct {
		name string
		set  bool
	}{
		{"cupsUri", a.CUPSURI != ""}, {"tcUri", a.TCURI != ""},
		{"cupsCred", len(a.CUPSCred) > 0}, {"tcCred", len(a.TCCred) > 0},
		{"update", len(a.Update) > 0},
	} {
		if s.set {
			out = append(out, s.name)
		}
	}
	return out
}

// apply stages what the answer changes and hands a verified update to the
// Updater. URIs and credentials are checked before anything is staged: an
// answer with one unusable part is refused whole.
func (c *Client) apply(ctx context.Context, ans *cups.UpdateInfoResponse, used agentstore.Credentials, rep report) (outcome, error) {
	out := outcome{changed: changedSegments(ans)}
	newCUPS, cupsNew, err := merge(agentstore.KindCUPS, rep.cups, ans.CUPSURI, ans.CUPSCred, used.URI)
	if err != nil {
		return out, fmt.Errorf("%w: cups: %w", ErrAnswerRefused, err)
	}
	var tcFallback string
	if !rep.hasTC || rep.tc.URI == "" {
		if s, _, err := firstWithURI(ctx, c.opts.Store, agentstore.KindTC); err == nil {
			tcFallback = s.URI
		}
	}
	newTC, tcNew, err := merge(agentstore.KindTC, rep.tc, ans.TCURI, ans.TCCred, tcFallback)
	if err != nil {
		return out, fmt.Errorf("%w: tc: %w", ErrAnswerRefused, err)
	}
	for _, s := range []struct {
		kind   agentstore.Kind
		set    agentstore.Credentials
		is     bool
		staged *bool
	}{{agentstore.KindCUPS, newCUPS, cupsNew, &out.cupsStaged}, {agentstore.KindTC, newTC, tcNew, &out.tcStaged}} {
		if !s.is {
			continue
		}
		if err := c.opts.Store.StageCredentials(ctx, s.kind, s.set); err != nil {
			return out, err
		}
		*s.staged = true
		c.log.Info("new credentials staged, to be tried", "kind", s.kind, "credentials", s.set)
		c.emit(Event{Kind: EventStaged, Cred: s.kind, CRC: s.set.CRC()})
	}
	if len(ans.Update) > 0 {
		c.update(ctx, ans)
	}
	return out, nil
}

// merge returns base changed by an answer's URI and credential blob for
// kind k, and whether it differs from base. A set without a URI takes
// fallback. The result must be usable (checkUsable).
func merge(k agentstore.Kind, base agentstore.Credentials, uri string, blob []byte, fallback string) (agentstore.Credentials, bool, error) {
	if uri == "" && len(blob) == 0 {
		return base, false, nil
	}
	n := base
	if uri != "" {
		n.URI = uri
	}
	if len(blob) > 0 {
		var cc cups.Credentials
		if err := cc.UnmarshalBinary(blob); err != nil {
			return base, false, err
		}
		n = agentstore.FromCUPS(n.URI, cc)
	}
	if n.URI == "" {
		n.URI = fallback
	}
	if err := checkUsable(k, n); err != nil {
		return base, false, err
	}
	return n, !n.Equal(base), nil
}

// update verifies an answer's update and hands it to the Updater.
func (c *Client) update(ctx context.Context, ans *cups.UpdateInfoResponse) {
	err := c.verify(ans)
	if err == nil {
		if c.opts.Updater == nil {
			err = fmt.Errorf("%w: no update_command configured", ErrUpdateRefused)
		} else {
			err = c.opts.Updater.Install(ctx, ans.Update)
		}
	}
	if err != nil {
		c.log.Error("update not installed", "bytes", len(ans.Update), "error", err)
		c.emit(Event{Kind: EventUpdateRefused, Err: err})
		return
	}
	c.emit(Event{Kind: EventUpdateInstalled})
}

// verify checks an update's signature as Station's cups_ondone does: with
// keys held, a signature is required and must verify with one of them;
// with none, an unsigned update is accepted.
func (c *Client) verify(ans *cups.UpdateInfoResponse) error {
	held := len(c.opts.SigKeys) > 0 || c.opts.RequireSigned
	if ans.Sig == nil {
		if held {
			return fmt.Errorf("cupsclient: %w: no signature, and this gateway holds signature keys", cups.ErrUnverified)
		}
		c.log.Warn("unsigned update accepted: this gateway holds no signature key")
		return nil
	}
	k, err := cups.Verify(c.opts.SigKeys, ans.Update, ans.Sig)
	if err != nil {
		return fmt.Errorf("cupsclient: signature (key crc %08x) of %d-byte update: %w", ans.Sig.KeyCRC, len(ans.Update), err)
	}
	c.log.Info("update signature verified", "key_crc", fmt.Sprintf("%08x", k.CRC()))
	return nil
}
