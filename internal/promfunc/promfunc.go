// Package promfunc builds Prometheus collectors whose values are read from
// snapshot functions at scrape time, for the cloud's and the agent's
// /metrics: the counters stay the parts' own atomics, so the hot paths pay
// nothing for being watched.
package promfunc

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Emit reports one value of a family, with its label values in the order
// the family declared them.
type Emit func(v float64, labels ...string)

// family is one metric family and how a scrape reads it.
type family struct {
	desc    *prometheus.Desc
	kind    prometheus.ValueType
	collect func(Emit)
}

// Collector is a prometheus.Collector over snapshot functions. Build it
// with Counter and Gauge before registering it; it is not safe to add
// families while it is being scraped.
type Collector struct {
	prefix   string
	families []family
}

// New returns an empty Collector whose family names start with prefix
// (e.g. "loraedge_").
func New(prefix string) *Collector { return &Collector{prefix: prefix} }

// Counter adds a counter family; collect emits its values at each scrape.
func (c *Collector) Counter(name, help string, labels []string, collect func(Emit)) {
	c.add(name, help, prometheus.CounterValue, labels, collect)
}

// Gauge adds a gauge family; collect emits its values at each scrape.
func (c *Collector) Gauge(name, help string, labels []string, collect func(Emit)) {
	c.add(name, help, prometheus.GaugeValue, labels, collect)
}

func (c *Collector) add(name, help string, kind prometheus.ValueType, labels []string, collect func(Emit)) {
	c.families = append(c.families, family{
		desc:    prometheus.NewDesc(c.prefix+name, help, labels, nil),
		kind:    kind,
		collect: collect,
	})
}

// Describe sends every family's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range c.families {
		ch <- f.desc
	}
}

// Collect reads the snapshots and sends the values.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, f := range c.families {
		f.collect(func(v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(f.desc, f.kind, v, labels...)
		})
	}
}

// Handler serves c, with the Go runtime and process collectors, in
// Prometheus's exposition formats.
func Handler(c *Collector) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		c,
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
