module github.com/sqs-mega/sqs-mega-go

go 1.26
