package web

import "github.com/gin-gonic/gin"

// leaderMessages are the catalogue entries of these pages.
var leaderMessages = []message{}

func (s *server) leaderRoutes(g *gin.RouterGroup) {}
