package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Referrals whose outcome comes back (issue 17 item 2): a receiving body's
// partner token reads the referrals sent to it and posts what became of
// them; a court's token commissions the union to mediate. The service
// scopes every referral to the caller's body (another body's is 404).

// createdPartner is a new partner with its token's secret, shown once.
type createdPartner struct {
	Partner *gridwarn.Partner `json:"partner"`
	Token   *gridwarn.Token   `json:"token"`
	Secret  string            `json:"secret"`
}

// POST /api/v1/partners — a county administrator registers a receiving
// body and its token.
func (s *server) createPartner(c *gin.Context) {
	var b gridwarn.NewPartner
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	p, t, secret, err := s.svc.Referrals.CreatePartner(c.Request.Context(), visibility(c), b)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, createdPartner{Partner: p, Token: t, Secret: secret})
}

// GET /api/v1/partners
func (s *server) listPartners(c *gin.Context) {
	ps, err := s.svc.Referrals.Partners(c.Request.Context(), visibility(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": nonNil(ps)})
}

// GET /api/v1/referrals — the caller's body's referrals, oldest first.
func (s *server) listReferrals(c *gin.Context) {
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	rs, err := s.svc.Referrals.Referrals(c.Request.Context(), principal(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": nonNil(rs)})
}

// GET /api/v1/referrals/{id}
func (s *server) referral(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	r, err := s.svc.Referrals.Referral(c.Request.Context(), principal(c), id)
	respond(c, http.StatusOK, r, err)
}

// POST /api/v1/referrals/{id}/updates — 201 with the referral as it is now.
func (s *server) postReferralUpdate(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	var b gridwarn.UpdateRequest
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	b.ReferralID = id
	r, err := s.svc.Referrals.PostUpdate(c.Request.Context(), principal(c), b)
	respond(c, http.StatusCreated, r, err)
}

// POST /api/v1/referrals/commissions — 201 with the new commission, 200
// with the existing one when the court sent the same reference before.
func (s *server) commission(c *gin.Context) {
	var b gridwarn.Commission
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	r, created, err := s.svc.Referrals.Commission(c.Request.Context(), principal(c), b)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	respond(c, status, r, err)
}
