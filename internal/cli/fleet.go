package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/machinelist"
)

func (a *app) machinesCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "machines", Short: "The machine inventory: every machine and product of a tenant, how it was activated, its license state"}
	var f licet.MachineFilter
	var stale string
	var csvOut bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List machines (filters: --tenant, --state, --product, --method, --stale 30d)",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			var err error
			if f.Stale, err = machinelist.ParseAge(stale); err != nil {
				return Usagef("--stale: %v", err)
			}
			if csvOut && a.json {
				return Usagef("--csv and --json exclude each other: choose one")
			}
			ms, err := c.Machines(ctx, f)
			if err != nil {
				return err
			}
			if csvOut {
				return machinelist.WriteCSV(a.stdout, ms)
			}
			return a.output(nonNil(ms), func() error { return a.machineTable(ms) })
		}),
	}
	fl := list.Flags()
	fl.StringVar(&f.Tenant, "tenant", "", "only this tenant's machines")
	fl.StringVar(&f.State, "state", "", "only machines in this state: "+strings.Join(licet.MachineStates, ", "))
	fl.StringVar(&f.Product, "product", "", "only this product (slug)")
	fl.StringVar(&f.Method, "method", "", "only this method: "+strings.Join(licet.MachineMethods, ", "))
	fl.StringVar(&stale, "stale", "", "only machines silent for longer than this (e.g. 30d, 12h)")
	fl.IntVar(&f.Limit, "limit", licet.DefaultMachineLimit, "at most this many machines")
	fl.BoolVar(&csvOut, "csv", false, "print CSV instead of a table")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one machine of the inventory",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return Usagef("machine id %q is not a number (see `licet machines list`)", args[0])
			}
			m, err := c.Machine(ctx, id)
			return reply(a, m, err, func(m *licet.InventoryMachine) error {
				fmt.Fprintf(a.stdout, "ID:           %d\nTenant:       %s\nMachine:      %s\nHostname:     %s\nProduct:      %s\nMethod:       %s\nKey:          %s\nKMS host:     %s\nState:        %s\nChanges next: %s\nFirst seen:   %s\nLast seen:    %s\nStale:        %s\n",
					m.ID, m.Tenant, m.MachineID, dash(m.Hostname), m.Product, m.Method, keyTail(m.KeyTail), dash(m.HostID), m.State,
					when(m.StateUntil), m.FirstSeen.Format("2006-01-02 15:04 MST"), m.LastSeen.Format("2006-01-02 15:04 MST"), yesNo(m.Stale))
				return nil
			})
		}),
	}
	cmd.AddCommand(list, show)
	return cmd
}

func keyTail(tail string) string {
	if tail == "" {
		return "-"
	}
	return "*****-" + tail
}

func (a *app) machineTable(ms []licet.InventoryMachine) error {
	rows := make([][]string, 0, len(ms))
	for _, m := range ms {
		via := keyTail(m.KeyTail)
		if m.HostID != "" {
			via = m.HostID
		}
		rows = append(rows, []string{strconv.FormatInt(m.ID, 10), m.Tenant, m.MachineID, m.Product, m.Method, via, m.State,
			when(m.StateUntil), m.LastSeen.Format(time.DateOnly), yesNo(m.Stale)})
	}
	return a.table([]string{"ID", "TENANT", "MACHINE", "PRODUCT", "METHOD", "KEY/HOST", "STATE", "CHANGES", "LAST SEEN", "STALE"}, rows)
}

func (a *app) eventsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "events", Short: "Events: the changes that matter (keys running out, tokens, certificates…)"}
	var f licet.EventFilter
	list := &cobra.Command{
		Use:   "list",
		Short: "List events, newest first",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			es, err := c.Events(ctx, f)
			return reply(a, nonNil(es), err, func(es []licet.Event) error {
				rows := make([][]string, 0, len(es))
				for _, e := range es {
					var obj bytes.Buffer
					if json.Compact(&obj, e.Object) != nil {
						obj.Write(e.Object)
					}
					rows = append(rows, []string{e.ID, e.Time.Format(time.DateTime), e.Type, dash(e.Tenant), obj.String()})
				}
				return a.table([]string{"ID", "TIME (UTC)", "TYPE", "TENANT", "OBJECT"}, rows)
			})
		}),
	}
	list.Flags().StringVar(&f.Tenant, "tenant", "", "only this tenant's events")
	list.Flags().StringVar(&f.Type, "type", "", "only events of this type: "+strings.Join(licet.EventTypes, ", "))
	list.Flags().IntVar(&f.Limit, "limit", 50, "at most this many events (1-1000)")
	cmd.AddCommand(list)
	return cmd
}

func (a *app) webhookCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "webhook", Short: "Webhooks: events delivered as signed HTTP POSTs"}
	var w licet.Webhook
	var types string
	add := &cobra.Command{
		Use:   "add URL --tenant T --events a,b",
		Short: "Add a webhook; its signing secret is printed once",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			w.URL = args[0]
			w.Events = strings.Split(types, ",")
			out, err := c.AddWebhook(ctx, w)
			return reply(a, out, err, func(h *licet.Webhook) error {
				fmt.Fprintf(a.stdout, "Webhook %d added for %s: %s\nEvents: %s\nSigning secret (shown once; keep it to verify the %s header):\n  %s\n",
					h.ID, tenantOrAll(h.Tenant), h.URL, strings.Join(h.Events, ","), "Licet-Signature", h.Secret)
				return nil
			})
		}),
	}
	add.Flags().StringVar(&w.Tenant, "tenant", "", "the tenant whose events go there (the operator may omit it: every tenant)")
	add.Flags().StringVar(&types, "events", "*", "event types, comma-separated, or * for all: "+strings.Join(licet.EventTypes, ", "))
	list := &cobra.Command{
		Use:   "list",
		Short: "List webhooks",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			ws, err := c.Webhooks(ctx)
			return reply(a, nonNil(ws), err, func(ws []licet.Webhook) error {
				rows := make([][]string, 0, len(ws))
				for _, h := range ws {
					rows = append(rows, []string{strconv.FormatInt(h.ID, 10), tenantOrAll(h.Tenant), h.URL, strings.Join(h.Events, ","), h.CreatedAt.Format(time.DateOnly)})
				}
				return a.table([]string{"ID", "TENANT", "URL", "EVENTS", "CREATED"}, rows)
			})
		}),
	}
	idArg := func(s string) (int64, error) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return 0, Usagef("%q is not an id (see `licet webhook list`)", s)
		}
		return id, nil
	}
	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a webhook and its pending deliveries",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			id, err := idArg(args[0])
			if err != nil {
				return err
			}
			if err := c.RemoveWebhook(ctx, id); err != nil {
				return err
			}
			return a.outputf(map[string]any{"removed": id}, "Webhook %d removed.\n", id)
		}),
	}
	test := &cobra.Command{
		Use:   "test ID",
		Short: "Queue a webhook.test event for this webhook only",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			id, err := idArg(args[0])
			if err != nil {
				return err
			}
			d, err := c.TestWebhook(ctx, id)
			return reply(a, d, err, single(a.deliveryTable))
		}),
	}
	var limit int
	deliveries := &cobra.Command{
		Use:   "deliveries ID",
		Short: "List a webhook's deliveries, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			id, err := idArg(args[0])
			if err != nil {
				return err
			}
			ds, err := c.Deliveries(ctx, id, limit)
			return reply(a, nonNil(ds), err, a.deliveryTable)
		}),
	}
	deliveries.Flags().IntVar(&limit, "limit", 50, "at most this many deliveries (1-1000)")
	redeliver := &cobra.Command{
		Use:   "redeliver DELIVERY-ID",
		Short: "Send a delivery's event again",
		Args:  cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			id, err := idArg(args[0])
			if err != nil {
				return err
			}
			d, err := c.Redeliver(ctx, id)
			return reply(a, d, err, single(a.deliveryTable))
		}),
	}
	cmd.AddCommand(add, list, remove, test, deliveries, redeliver)
	return cmd
}

func tenantOrAll(t string) string {
	if t == "" {
		return "(every tenant)"
	}
	return t
}

func (a *app) deliveryTable(ds []licet.WebhookDelivery) error {
	rows := make([][]string, 0, len(ds))
	for _, d := range ds {
		code := "-"
		if d.LastStatus != 0 {
			code = strconv.Itoa(d.LastStatus)
		}
		rows = append(rows, []string{strconv.FormatInt(d.ID, 10), d.EventID, d.EventType, d.Status, strconv.Itoa(d.Attempts), code,
			when(d.NextAttemptAt), when(d.DeliveredAt), dash(d.LastError)})
	}
	return a.table([]string{"ID", "EVENT", "TYPE", "STATUS", "ATTEMPTS", "LAST CODE", "NEXT ATTEMPT", "DELIVERED", "LAST ERROR"}, rows)
}
