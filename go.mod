module github.com/burst-dev/burst

go 1.26
