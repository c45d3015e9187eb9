// Package methodadvice recommends how an organisation should activate its machines — KMS, MAK
// (independent or proxy), offline, or a mix — from the rules of volume activation: KMS thresholds,
// the fate of virtual machines, the size below which MAK is the better choice, and isolated
// networks. It is pure: the rules are data and functions, tested without I/O.
package methodadvice

import (
	"fmt"

	"github.com/licet/licet"
)

// KMS thresholds and the MAK size rule, as the volume licensing FAQ (seed 004) gives them.
const (
	ClientThreshold      = 25 // machines a KMS host must count before it activates client products
	ServerThreshold      = 5  // … server products
	ApplicationThreshold = 5  // … application (office-suite-like) products
	SmallOrganisation    = 50 // below this many PCs, MAK with proxy activation is the best option
	HostsPerKMSKey       = 6  // KMS hosts one host key may activate
)

// Environment describes the machines to activate.
type Environment struct {
	Clients      int  `json:"clients"`      // client-OS machines, physical and virtual
	Servers      int  `json:"servers"`      // server-OS machines, physical and virtual
	Applications int  `json:"applications"` // machines running volume applications
	Virtual      int  `json:"virtual"`      // how many of the clients and servers are virtual
	Isolated     bool `json:"isolated"`     // the machines cannot reach the licet service
}

// Methods of activation.
const (
	KMS            = "kms"       // a local KMS host
	MAK            = "mak"       // each machine activates online once with a MAK
	MAKProxy       = "mak-proxy" // one request activates many machines (licet proxy-activate)
	Offline        = "offline"   // installation and confirmation IDs (phone activation)
	KMSHostOffline = "kms-host-offline"
)

// Part is one method applied to some of the machines.
type Part struct {
	Method   string `json:"method"`
	Machines string `json:"machines"` // which machines, in words
	Count    int    `json:"count"`
}

// Reason is one rule that led to the advice.
type Reason struct {
	Rule string `json:"rule"` // stable id of the rule
	Text string `json:"text"`
}

// Advice is the recommendation.
type Advice struct {
	Summary string   `json:"summary"`
	Parts   []Part   `json:"parts"`
	Reasons []Reason `json:"reasons"`
}

// Check returns EInvalid when the environment is impossible.
func (e Environment) Check() error {
	switch {
	case e.Clients < 0 || e.Servers < 0 || e.Applications < 0 || e.Virtual < 0:
		return licet.Errorf(licet.EInvalid, "machine counts cannot be negative")
	case e.Clients+e.Servers+e.Applications == 0:
		return licet.Errorf(licet.EInvalid, "there is nothing to activate: give --clients, --servers or --applications")
	case e.Virtual > e.Clients+e.Servers:
		return licet.Errorf(licet.EInvalid, "--virtual %d is more than the %d clients and servers: virtual machines are counted among them", e.Virtual, e.Clients+e.Servers)
	}
	return nil
}

// Recommend gives the advice for an environment.
func Recommend(e Environment) (Advice, error) {
	if err := e.Check(); err != nil {
		return Advice{}, err
	}
	var a Advice
	reason := func(rule, format string, args ...any) {
		a.Reasons = append(a.Reasons, Reason{Rule: rule, Text: fmt.Sprintf(format, args...)})
	}
	systems := e.Clients + e.Servers // clients and servers add to one KMS count
	clientsByKMS := e.Clients > 0 && systems >= ClientThreshold
	serversByKMS := e.Servers > 0 && systems >= ServerThreshold
	appsByKMS := e.Applications >= ApplicationThreshold

	if e.Clients > 0 && !clientsByKMS {
		reason("kms-client-threshold", "a KMS host activates client products only once it counts %d machines; clients and servers together make %d", ClientThreshold, systems)
	}
	if e.Servers > 0 && !serversByKMS {
		reason("kms-server-threshold", "a KMS host activates server products only once it counts %d machines; there are %d", ServerThreshold, systems)
	}
	if e.Applications > 0 && !appsByKMS {
		reason("kms-application-threshold", "a KMS host activates applications only once it counts %d machines running them; there are %d", ApplicationThreshold, e.Applications)
	}
	if e.Virtual > 0 {
		reason("virtual-machines", "the %d virtual machines count toward the KMS threshold, but each one activated with a MAK consumes an activation like a physical one: KMS is preferred for them", e.Virtual)
	}

	kmsMachines, makMachines := 0, 0
	add := func(byKMS bool, n int, what string) {
		if n == 0 {
			return
		}
		if byKMS {
			kmsMachines += n
			a.Parts = append(a.Parts, Part{Method: KMS, Machines: what, Count: n})
			return
		}
		makMachines += n
		method := MAK
		if e.Isolated {
			method = MAKProxy
		}
		a.Parts = append(a.Parts, Part{Method: method, Machines: what, Count: n})
	}
	add(clientsByKMS, e.Clients, "client machines")
	add(serversByKMS, e.Servers, "servers")
	add(appsByKMS, e.Applications, "applications")

	total := systems
	if total == 0 {
		total = e.Applications
	}
	if kmsMachines > 0 {
		reason("kms-threshold-met", "the KMS count reaches the threshold, so a local KMS host activates these machines without any connection to the licet service; one host key sets up to %d hosts", HostsPerKMSKey)
		if total < SmallOrganisation && makMachines == 0 {
			reason("small-organisation", "with fewer than %d machines a MAK with proxy activation is the simpler choice; keep a MAK for machines that leave the network for more than 30 days or if the count falls below the threshold", SmallOrganisation)
			a.Parts = append(a.Parts, Part{Method: MAKProxy, Machines: "fallback for machines that cannot renew with the KMS host", Count: 0})
		}
		if e.Isolated {
			reason("isolated-kms-host", "the KMS host itself is activated once offline: `licet kms activate --request-file`, approved on a connected machine")
			a.Parts = append(a.Parts, Part{Method: KMSHostOffline, Machines: "the KMS host", Count: 1})
		}
	}
	if makMachines > 0 {
		if e.Isolated {
			reason("isolated-network", "the machines cannot reach the licet service: collect their installation IDs and activate them in one request (licet proxy-activate), or one by one by phone (offline)")
		} else if total < SmallOrganisation {
			reason("small-organisation", "with fewer than %d machines MAK is the best option: each machine activates once and needs no further contact", SmallOrganisation)
		}
	}
	a.Summary = summary(kmsMachines, makMachines, e.Isolated)
	return a, nil
}

func summary(kms, mak int, isolated bool) string {
	makWay := "MAK (each machine online once)"
	if isolated {
		makWay = "MAK by proxy or offline activation"
	}
	switch {
	case kms > 0 && mak > 0:
		return fmt.Sprintf("both: KMS for %d machines, %s for %d", kms, makWay, mak)
	case kms > 0:
		return fmt.Sprintf("KMS for all %d machines, with a MAK kept as fallback", kms)
	default:
		return fmt.Sprintf("%s for all %d machines", makWay, mak)
	}
}
