package httpapi

// route is one endpoint of the API.
type route struct {
	Method  string
	Pattern string
	// Public routes need no token: health, the signing key, and machine activation (where the
	// product key is the credential).
	Public  bool
	MaxBody int64 // 0: DefaultMaxBody
	Handler handlerFunc
}

// routes lists every endpoint, in one place. docs/openapi.yaml must describe exactly these
// (a test checks it).
func (s *Server) routes() []route {
	return []route{
		{Method: "GET", Pattern: "/healthz", Public: true, Handler: s.healthz},
		{Method: "GET", Pattern: "/readyz", Public: true, Handler: s.readyz},
		{Method: "GET", Pattern: "/v1/signing-key", Public: true, Handler: s.signingKey},
		{Method: "GET", Pattern: "/v1/signing-keys", Handler: s.listSigningKeys},
		{Method: "POST", Pattern: "/v1/signing-keys", Handler: s.rotateSigningKey},
		{Method: "POST", Pattern: "/v1/signing-keys/{id}/retire", Handler: s.retireSigningKey},
		{Method: "GET", Pattern: "/v1/whoami", Handler: s.whoami},

		{Method: "GET", Pattern: "/v1/tenants", Handler: s.listTenants},
		{Method: "POST", Pattern: "/v1/tenants", Handler: s.createTenant},
		{Method: "GET", Pattern: "/v1/tenants/{tenant}", Handler: s.getTenant},

		{Method: "GET", Pattern: "/v1/tokens", Handler: s.listTokens},
		{Method: "POST", Pattern: "/v1/tokens", Handler: s.createToken},
		{Method: "DELETE", Pattern: "/v1/tokens/{id}", Handler: s.revokeToken},

		{Method: "GET", Pattern: "/v1/audit", Handler: s.audit},
		{Method: "GET", Pattern: "/v1/catalog", Handler: s.getCatalog},
		{Method: "GET", Pattern: "/v1/catalog/versions", Handler: s.listCatalogVersions},
		{Method: "POST", Pattern: "/v1/catalog/versions", MaxBody: catalogBody, Handler: s.applyCatalog},
		{Method: "GET", Pattern: "/v1/catalog/versions/{version}", Handler: s.getCatalogVersion},
		{Method: "GET", Pattern: "/v1/catalog/diff", Handler: s.diffCatalogs},
		{Method: "GET", Pattern: "/v1/catalog/source", Handler: s.getCatalogSource},

		{Method: "GET", Pattern: "/v1/tenants/{tenant}/subscriptions", Handler: s.listSubscriptions()},
		{Method: "POST", Pattern: "/v1/tenants/{tenant}/subscriptions", Handler: s.buySubscription()},
		{Method: "PATCH", Pattern: "/v1/tenants/{tenant}/subscriptions/{id}", Handler: s.updateSubscription()},
		{Method: "GET", Pattern: "/v1/tenants/{tenant}/skus", Handler: s.subscribedSKUs()},
		{Method: "GET", Pattern: "/v1/tenants/{tenant}/users", Handler: s.listUsers()},
		{Method: "POST", Pattern: "/v1/tenants/{tenant}/users", Handler: s.createUser()},
		{Method: "POST", Pattern: "/v1/tenants/{tenant}/users/batch", MaxBody: BulkMaxBody, Handler: s.importUsers()},
		{Method: "GET", Pattern: "/v1/tenants/{tenant}/users/{upn}", Handler: s.getUser()},
		{Method: "POST", Pattern: "/v1/tenants/{tenant}/users/{upn}/assignLicense", Handler: s.assignLicense()},
		{Method: "POST", Pattern: "/v1/tenants/{tenant}/assignments/batch", MaxBody: BulkMaxBody, Handler: s.assignBatch()},
		{Method: "GET", Pattern: "/v1/tenants/{tenant}/groups", Handler: s.listGroups()},
		{Method: "POST", Pattern: "/v1/tenants/{tenant}/groups", Handler: s.createGroup()},
		{Method: "GET", Pattern: "/v1/tenants/{tenant}/groups/{group}", Handler: s.getGroup()},
		{Method: "POST", Pattern: "/v1/tenants/{tenant}/groups/{group}/members", MaxBody: BulkMaxBody, Handler: s.addMembers()},
		{Method: "DELETE", Pattern: "/v1/tenants/{tenant}/groups/{group}/members/{upn}", Handler: s.removeMember()},

		{Method: "POST", Pattern: "/v1/kms/hosts", Public: true, MaxBody: kmsHostBody, Handler: s.activateKMSHost},
		{Method: "POST", Pattern: "/v1/kms/renewals", Public: true, MaxBody: kmsRenewalBody, Handler: s.renewKMSHost},
		{Method: "POST", Pattern: "/v1/kms/approvals", MaxBody: kmsHostBody, Handler: s.approveKMSHost},
		{Method: "PUT", Pattern: "/v1/kms/keys/{id}/host-limit", Handler: s.setKMSHostLimit},

		{Method: "GET", Pattern: "/v1/product-groups", Handler: s.listProductGroups},
		{Method: "POST", Pattern: "/v1/product-groups", Handler: s.createProductGroup},
		{Method: "GET", Pattern: "/v1/products", Handler: s.listProducts},
		{Method: "POST", Pattern: "/v1/products", Handler: s.createProduct},
		{Method: "GET", Pattern: "/v1/gvlk", Public: true, Handler: s.listGVLKs},
		{Method: "GET", Pattern: "/v1/agreements", Handler: s.listAgreements},
		{Method: "POST", Pattern: "/v1/agreements", Handler: s.createAgreement},
		{Method: "GET", Pattern: "/v1/agreements/{id}", Handler: s.getAgreement},
		{Method: "GET", Pattern: "/v1/keys", Handler: s.listKeys},
		{Method: "POST", Pattern: "/v1/keys", Handler: s.issueKey},
		{Method: "POST", Pattern: "/v1/keys/lookup", Handler: s.lookupKey},
		{Method: "GET", Pattern: "/v1/keys/{id}", Handler: s.getKey},
		{Method: "GET", Pattern: "/v1/keys/{id}/activations", Handler: s.keyActivations},
		{Method: "POST", Pattern: "/v1/keys/{id}/extend", Handler: s.extendKey},
		{Method: "POST", Pattern: "/v1/keys/{id}/block", Handler: s.blockKey},
		{Method: "POST", Pattern: "/v1/keys/{id}/unblock", Handler: s.unblockKey},
		{Method: "POST", Pattern: "/v1/activations", Public: true, MaxBody: activationMaxBody, Handler: s.activate},

		{Method: "POST", Pattern: "/v1/tenants/{tenant}/groups/{group}/assignLicense", Handler: s.assignGroupLicense()},
		{Method: "POST", Pattern: "/v1/tenants/{tenant}/groups/{group}/reprocess", Handler: s.reprocessGroup()},
		{Method: "GET", Pattern: "/v1/tenants/{tenant}/numbers", Handler: s.listNumbers()},
		{Method: "POST", Pattern: "/v1/tenants/{tenant}/numbers", Handler: s.addNumbers()},
		{Method: "DELETE", Pattern: "/v1/tenants/{tenant}/numbers/{number}", Handler: s.releaseNumber()},
		{Method: "PUT", Pattern: "/v1/tenants/{tenant}/numbers/{number}/user", Handler: s.assignNumber()},
		{Method: "DELETE", Pattern: "/v1/tenants/{tenant}/numbers/{number}/user", Handler: s.unassignNumber()},
		{Method: "PUT", Pattern: "/v1/tenants/{tenant}/users/{upn}/conferencingProvider", Handler: s.setConferencingProvider()},
		{Method: "POST", Pattern: "/v1/tenants/{tenant}/credits", Handler: s.signUpCredits()},
		{Method: "GET", Pattern: "/v1/tenants/{tenant}/credits", Handler: s.getCredits()},
		{Method: "POST", Pattern: "/v1/tenants/{tenant}/credits/funds", Handler: s.addFunds()},
		{Method: "PUT", Pattern: "/v1/tenants/{tenant}/credits/autoRecharge", Handler: s.setAutoRecharge()},
		{Method: "POST", Pattern: "/v1/tenants/{tenant}/credits/charges", Handler: s.charge()},
		{Method: "GET", Pattern: "/v1/tenants/{tenant}/credits/ledger", Handler: s.ledger()},
		{Method: "POST", Pattern: "/v1/activations/offline", Handler: s.activateOffline},
		{Method: "POST", Pattern: "/v1/activations/proxy", Public: true, MaxBody: proxyMaxBody, Handler: s.activateProxy},
		{Method: "GET", Pattern: "/v1/machines", Handler: s.listMachines},
		{Method: "GET", Pattern: "/v1/machines/{id}", Handler: s.getMachine},
		{Method: "POST", Pattern: "/v1/machines/reports", MaxBody: reportBody, Handler: s.reportMachines},
		{Method: "POST", Pattern: "/v1/kms/reports", Public: true, MaxBody: reportBody, Handler: s.reportKMSClients},
		{Method: "GET", Pattern: "/v1/events", Handler: s.listEvents},
		{Method: "GET", Pattern: "/v1/webhooks", Handler: s.listWebhooks},
		{Method: "POST", Pattern: "/v1/webhooks", Handler: s.addWebhook},
		{Method: "DELETE", Pattern: "/v1/webhooks/{id}", Handler: s.removeWebhook},
		{Method: "POST", Pattern: "/v1/webhooks/{id}/test", Handler: s.testWebhook},
		{Method: "GET", Pattern: "/v1/webhooks/{id}/deliveries", Handler: s.webhookDeliveries},
		{Method: "POST", Pattern: "/v1/webhook-deliveries/{id}/redeliver", Handler: s.redeliver},
		{Method: "GET", Pattern: "/v1/mak-requests", Handler: s.listMAKRequests},
		{Method: "POST", Pattern: "/v1/mak-requests", Handler: s.submitMAKRequest},
		{Method: "GET", Pattern: "/v1/mak-requests/{id}", Handler: s.getMAKRequest},
		{Method: "POST", Pattern: "/v1/mak-requests/{id}/approve", Handler: s.approveMAKRequest},
		{Method: "POST", Pattern: "/v1/mak-requests/{id}/reject", Handler: s.rejectMAKRequest},
	}
}

// RouteList returns "METHOD /pattern" for every API route, for the OpenAPI check.
func RouteList() []string {
	var out []string
	for _, r := range (&Server{}).routes() {
		out = append(out, r.Method+" "+r.Pattern)
	}
	return append(out, "GET /metrics")
}
