package agent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/hardware"
)

// Identify describes this machine: a machine id derived from the operating system's machine id
// (so that a state directory copied to another machine does not carry it along), a hardware
// hash of its components, and its host name.
func Identify() licet.Machine {
	host, _ := os.Hostname()
	return licet.Machine{ID: machineID(host), Hardware: hardware.Hash(components()), Hostname: host, Virtual: virtual()}
}

// machineID is an application-specific id derived from the OS machine id, never the id itself.
func machineID(host string) string {
	raw := ""
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			raw = strings.TrimSpace(string(b))
			break
		}
	}
	if raw == "" {
		raw = "host:" + host + ":" + strings.Join(macs(), ",")
	}
	m := hmac.New(sha256.New, []byte(raw))
	m.Write([]byte("licet machine id"))
	return "m-" + hex.EncodeToString(m.Sum(nil)[:16])
}

// components reads the parts of the hardware hash; what cannot be read stays empty.
func components() map[string]string {
	read := func(p string) string {
		b, _ := os.ReadFile(p)
		return strings.TrimSpace(string(b))
	}
	c := map[string]string{
		"board":   read("/sys/class/dmi/id/sys_vendor") + "/" + read("/sys/class/dmi/id/product_name") + "/" + read("/sys/class/dmi/id/board_name"),
		"cpu":     fmt.Sprintf("%d/%s", runtime.NumCPU(), cpuModel()),
		"network": strings.Join(macs(), ","),
		"os":      runtime.GOOS + "/" + runtime.GOARCH,
	}
	for _, line := range strings.Split(read("/proc/meminfo"), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(v), &kb)
			c["memory"] = fmt.Sprintf("%d GiB", (kb+512*1024)/(1024*1024))
		}
	}
	for _, line := range strings.Split(read("/proc/mounts"), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[1] == "/" {
			c["disk"] = f[0] + " " + f[2]
		}
	}
	return c
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// macs lists the hardware addresses of the physical network interfaces, sorted.
func macs() []string {
	ifs, _ := net.Interfaces()
	var out []string
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 && len(i.HardwareAddr) > 0 {
			out = append(out, i.HardwareAddr.String())
		}
	}
	slices.Sort(out)
	return out
}

// virtual reports whether the machine looks like a virtual machine (a hypervisor flag in the CPU).
func virtual() bool {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Contains(string(b), " hypervisor")
}
