package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The metrics the report reads from the cloud's /metrics.
const (
	metricCPU      = "process_cpu_seconds_total"
	metricRSS      = "process_resident_memory_bytes"
	metricAccepted = "loraedge_uplinks_accepted_total"
	metricTxed     = "loraedge_downlinks_transmitted_total"
)

// scrape reads the cloud's /metrics; nil, nil when the target has no
// MetricsURL.
func scrape(ctx context.Context, t Target) (map[string]float64, error) {
	if t.MetricsURL == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.MetricsURL, nil)
	if err != nil {
		return nil, fmt.Errorf("loadgen: metrics: %w", err)
	}
	req.Header.Set("Accept", "text/plain")
	hc := t.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loadgen: metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("loadgen: metrics: %s", resp.Status)
	}
	m, err := parseMetrics(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	for _, name := range []string{metricCPU, metricRSS} {
		if _, ok := m[name]; !ok {
			return nil, fmt.Errorf("loadgen: metrics: no %s", name)
		}
	}
	return m, nil
}

// parseMetrics reads Prometheus text exposition: each family's samples
// summed over their labels.
func parseMetrics(r io.Reader) (map[string]float64, error) {
	out := make(map[string]float64)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if strings.HasPrefix(rest, "{") {
			end := strings.LastIndexByte(rest, '}')
			if end < 0 {
				return nil, fmt.Errorf("loadgen: metrics: malformed line %.80q", line)
			}
			rest = rest[end+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("loadgen: metrics: malformed line %.80q", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("loadgen: metrics: malformed value in %.80q", line)
		}
		out[name] += v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("loadgen: metrics: %w", err)
	}
	return out, nil
}

// usage turns two scrapes into the cloud's usage over the run.
func usage(before, after map[string]float64, routed uint64) *CloudUsage {
	u := &CloudUsage{
		CPUSeconds: after[metricCPU] - before[metricCPU],
		RSSBefore:  before[metricRSS],
		RSSAfter:   after[metricRSS],
		Accepted:   after[metricAccepted] - before[metricAccepted],
		Txed:       after[metricTxed] - before[metricTxed],
	}
	if routed > 0 {
		u.CPUPer10k = u.CPUSeconds / float64(routed) * 10000
	}
	return u
}
