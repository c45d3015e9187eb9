package console

import (
	"math"
	"regexp"
	"strconv"
	"testing"
)

// TestContrast: the text colours of the stylesheet against the backgrounds they are used on reach
// WCAG AA (4.5:1).
func TestContrast(t *testing.T) {
	css, err := files.ReadFile("static/console.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-f]{6});`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	pairs := []struct{ text, background string }{
		{"text", "surface"}, {"text", "bg"}, {"muted", "surface"}, {"muted", "bg"},
		{"primary", "surface"}, {"primary", "bg"}, {"primary", "primary-soft"}, {"primary-dark", "primary-soft"},
		{"danger", "surface"}, {"danger", "danger-soft"}, {"ok", "ok-soft"}, {"muted", "warn-soft"}, {"warn", "warn-soft"}, {"text", "danger-soft"},
		{"side-text", "side"}, {"side-muted", "side"}, {"side-text", "side-current"},
	}
	for _, p := range pairs {
		fg, bg := vars[p.text], vars[p.background]
		if fg == "" || bg == "" {
			t.Errorf("--%s or --%s is not a #rrggbb colour in the stylesheet", p.text, p.background)
			continue
		}
		if r := contrast(fg, bg); r < 4.5 {
			t.Errorf("--%s on --%s: contrast %.2f:1, want at least 4.5:1", p.text, p.background, r)
		}
	}
}

// contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		x := float64(v) / 255
		if x <= 0.03928 {
			c[i] = x / 12.92
		} else {
			c[i] = math.Pow((x+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}
