package cli

import "testing"

func TestKMSCount(t *testing.T) {
	for _, tt := range []struct {
		count, threshold int
		want             string
	}{{24, 25, "24 of 25"}, {25, 25, "25 of 25"}, {30, 25, "30 (threshold 25)"}} {
		if got := kmsCount(tt.count, tt.threshold); got != tt.want {
			t.Errorf("kmsCount(%d, %d) = %q, want %q", tt.count, tt.threshold, got, tt.want)
		}
	}
}
