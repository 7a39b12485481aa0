package route

import (
	"fmt"
	"strings"
	"text/template"
	"unicode/utf8"
)

// topicTemplate is a destination's parsed MQTT topic template.
type topicTemplate struct {
	text string
	tmpl *template.Template // nil when text has no action: a fixed topic
}

// parseTopic parses a topic template once and checks it renders a valid
// topic for a sample message, so a misspelt field fails at configuration
// time, not at the first uplink.
func parseTopic(dest, text string) (*topicTemplate, error) {
	t := &topicTemplate{text: text}
	if strings.Contains(text, "{{") {
		tmpl, err := template.New(dest).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, fmt.Errorf("route: destination %s: topic template: %w", dest, err)
		}
		t.tmpl = tmpl
	}
	sample := TopicFields{
		DevEui:           "0011223344556677",
		WirelessDeviceId: "sample-device",
		DevAddr:          "01020304",
		FPort:            1,
		Destination:      dest,
		Event:            EventUplink,
	}
	if _, err := t.render(sample); err != nil {
		return nil, fmt.Errorf("route: destination %s: %w", dest, err)
	}
	return t, nil
}

// render executes the template and checks the result is a topic one may
// publish to.
func (t *topicTemplate) render(f TopicFields) (string, error) {
	topic := t.text
	if t.tmpl != nil {
		var b strings.Builder
		b.Grow(len(t.text) + 32)
		if err := t.tmpl.Execute(&b, f); err != nil {
			return "", fmt.Errorf("topic template: %w", err)
		}
		topic = b.String()
	}
	if err := checkPublishTopic(topic); err != nil {
		return "", err
	}
	return topic, nil
}

// checkPublishTopic enforces MQTT's rules for a topic name (not a filter):
// 1 to 65535 bytes of UTF-8 without NUL and without wildcards.
func checkPublishTopic(topic string) error {
	switch {
	case topic == "":
		return fmt.Errorf("topic is empty")
	case len(topic) > 65535:
		return fmt.Errorf("topic is %d bytes, want at most 65535", len(topic))
	case !utf8.ValidString(topic):
		return fmt.Errorf("topic %q is not UTF-8", topic)
	case strings.ContainsAny(topic, "+#\x00"):
		return fmt.Errorf("topic %q has a wildcard or NUL", topic)
	}
	return nil
}
