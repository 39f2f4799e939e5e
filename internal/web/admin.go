package web

import "github.com/gin-gonic/gin"

// adminMessages are the catalogue entries of these pages.
var adminMessages = []message{}

func (s *server) adminRoutes(g *gin.RouterGroup) {}
