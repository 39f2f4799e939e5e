package web

import "github.com/gin-gonic/gin"

// reportMessages are the catalogue entries of these pages.
var reportMessages = []message{}

func (s *server) reportRoutes(g *gin.RouterGroup) {}
