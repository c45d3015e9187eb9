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
	// DirectoryMembers is how many of the clients and servers are members of the organisation's
	// directory (LDAP), which can hold an activation object.
	DirectoryMembers int `json:"directoryMembers"`
}

// Methods of activation.
const (
	KMS            = "kms"       // a local KMS host
	MAK            = "mak"       // each machine activates online once with a MAK
	MAKProxy       = "mak-proxy" // one request activates many machines (licet proxy-activate)
	Offline        = "offline"   // installation and confirmation IDs (phone activation)
	KMSHostOffline = "kms-host-offline"
	Directory      = "directory"         // directory-based activation: an activation object in LDAP
	DirectoryOff   = "directory-offline" // the directory activated once by request file
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
	case e.DirectoryMembers < 0 || e.DirectoryMembers > e.Clients+e.Servers:
		return licet.Errorf(licet.EInvalid, "--directory-members %d must be from 0 to the %d clients and servers: members are counted among them", e.DirectoryMembers, e.Clients+e.Servers)
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
	members := e.DirectoryMembers
	if members > 0 {
		a.Parts = append(a.Parts, Part{Method: Directory, Machines: "members of the directory", Count: members})
		reason("directory-members", "%d machines are members of the directory: directory-based activation activates them from one activation object (licet directory activate), with no KMS host to run and no threshold to reach; they stay activated while they remain members and renew every 7 days (valid 180 days)", members)
		if e.Isolated {
			reason("isolated-directory", "the directory is activated once offline: `licet directory activate --request-file`, approved on a connected machine (licet kms approve); machines then need only the directory")
			a.Parts = append(a.Parts, Part{Method: DirectoryOff, Machines: "the directory's activation object", Count: 1})
		}
		// Members activate from the directory, not from a KMS host: they do not count towards
		// its threshold. The others (clients first) go by the usual rules.
		fromClients := min(members, e.Clients)
		e.Clients -= fromClients
		e.Servers -= members - fromClients
		if e.Clients+e.Servers > 0 {
			reason("directory-fallback", "the %d machines outside the directory activate by the usual rules below; directory members do not count towards a KMS host's threshold, and a member that leaves the directory falls back to the KMS host (or a MAK)", e.Clients+e.Servers)
		} else {
			reason("directory-fallback", "keep a KMS host (when 25 machines would reach it) or a MAK as fallback for machines that leave the directory or cannot reach a directory server for 180 days")
		}
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
	if members > 0 {
		a.Summary = directorySummary(members, kmsMachines, makMachines, a.Summary)
	}
	return a, nil
}

func directorySummary(members, kms, mak int, rest string) string {
	if kms+mak == 0 {
		return fmt.Sprintf("directory-based activation for all %d machines, with a KMS host or a MAK kept as fallback for machines that leave the directory", members)
	}
	return fmt.Sprintf("directory-based activation for the %d directory members; for the others: %s", members, rest)
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
