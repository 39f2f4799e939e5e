package web

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/api"
	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// Hand-offs between counties on the ticket page (issue 17 item 3): the
// ticket's hand-offs with their answer and outcome, the form to hand the
// ticket off (when the workflow allows hand_off), and on a linked case
// still waiting the receiving county's accept and decline.

func (s *server) handoffRoutes(g *gin.RouterGroup) {
	g.POST("/handoffs/:id/accept", s.allow(authz.ChangeTickets), s.answerHandoff(true))
	g.POST("/handoffs/:id/decline", s.allow(authz.ChangeTickets), s.answerHandoff(false))
}

// handoffView is the ticket page's hand-off panel.
type handoffView struct {
	Items []gridwarn.Handoff
	// Form: the reader may hand the ticket off now.
	Form    bool
	Reasons []gridwarn.HandoffReason
	Modes   []string
}

// handoffPanel reads the ticket's hand-offs for the page.
func (s *server) handoffPanel(c *gin.Context, p *gridwarn.Principal, id int64, allowed []workflow.Action) *handoffView {
	if s.svc.Handoffs == nil {
		return nil
	}
	hs, err := s.svc.Handoffs.Handoffs(c.Request.Context(), p, authz.Visibility(p, authz.ChangeTickets), id)
	if err != nil {
		return nil
	}
	// A linked case is answered and worked, not handed on (the store
	// refuses it): no form on it.
	linked := slices.ContainsFunc(hs, func(h gridwarn.Handoff) bool { return h.LinkedTicketID == id })
	v := &handoffView{Items: hs, Form: !linked && slices.Contains(allowed, workflow.ActionHandOff), Reasons: gridwarn.HandoffReasons,
		Modes: gridwarn.HandoffModes}
	if len(v.Items) == 0 && !v.Form {
		return nil
	}
	return v
}

// handOff handles POST /ui/tickets/{id}/handoff.
func (s *server) handOff(c *gin.Context, id int64) {
	version, err := strconv.Atoi(c.PostForm("version"))
	if err != nil || version < 1 {
		s.fail(c, gridwarn.Errorf(gridwarn.EPRECONDITIONREQUIRED, "the form lacks the ticket's version; reload the ticket"))
		return
	}
	req := gridwarn.HandoffRequest{TicketID: id, IfMatch: version, ToCounty: c.PostForm("to_county"), Mode: c.PostForm("mode"),
		Reason: c.PostForm("reason"), WorkersHomeCounty: c.PostForm("workers_home_county"), Note: c.PostForm("note")}
	_, err = s.svc.Handoffs.HandOff(c.Request.Context(), principal(c), visibility(c), req)
	if err == nil {
		s.redirect(c, fmt.Sprintf("/ui/tickets/%d", id), "work.done.hand_off", false)
		return
	}
	l := lang(c)
	st := &actionState{Action: workflow.ActionHandOff, Values: c.Request.PostForm}
	status, code := api.Status(err)
	switch code {
	case gridwarn.EPRECONDITION:
		st.Conflict = &conflictView{Action: string(workflow.ActionHandOff), Saw: version}
	case gridwarn.ECONFLICT, gridwarn.EFORBIDDEN, gridwarn.EINVALID:
		msg := errorDetail(l, err)
		for _, f := range fieldMsgs(l, gridwarn.ErrorFields(err)) {
			msg += " · " + f.Field + ": " + f.Text
		}
		st.Problem = &problemView{Action: string(workflow.ActionHandOff), Message: msg}
	default:
		s.fail(c, err)
		return
	}
	s.showTicket(c, id, status, st)
}

// answerHandoff handles POST /ui/handoffs/{id}/accept and /decline: the
// receiving county's answer, then its linked case's page.
func (s *server) answerHandoff(accept bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h, err := s.svc.Handoffs.AnswerHandoff(c.Request.Context(), principal(c), visibility(c),
			gridwarn.HandoffAnswer{HandoffID: c.Param("id"), Accept: accept, Reason: c.PostForm("reason")})
		if err != nil {
			s.fail(c, err)
			return
		}
		done := "work.done.handoff_accept"
		if !accept {
			done = "work.done.handoff_decline"
		}
		s.redirect(c, fmt.Sprintf("/ui/tickets/%d", h.LinkedTicketID), done, false)
	}
}
