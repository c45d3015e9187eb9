package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-11-25T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	got := fromBuildInfo(Info{}, bi)
	want := Info{Version: "v1.2.3", Commit: "abc123", BuildDate: "2026-11-25T10:00:00Z", Modified: true}
	if got != want {
		t.Errorf("fromBuildInfo = %+v, want %+v", got, want)
	}
	if got := fromBuildInfo(Info{}, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}); got.Version != "" {
		t.Errorf("a (devel) build's version = %q, want empty", got.Version)
	}
}

func TestLinkerValuesWin(t *testing.T) {
	Version, Commit, Date = "v9.9.9", "deadbeef", "2026-11-25"
	t.Cleanup(func() { Version, Commit, Date = "", "", "" })
	got := Get()
	if got.Version != "v9.9.9" || got.Commit != "deadbeef" || got.BuildDate != "2026-11-25" {
		t.Errorf("Get() = %+v, want the -X values", got)
	}
	Version = "v9.9.9-3-gdeadbee-dirty"
	if got := Get(); !got.Modified {
		t.Errorf("Get() of a -dirty version = %+v, want modified", got)
	}
}
