package web

import "github.com/gin-gonic/gin"

// workMessages are the catalogue entries of these pages.
var workMessages = []message{}

func (s *server) workRoutes(g *gin.RouterGroup) {}
