module github.com/sqs-mega/sqs-mega-go

go 1.26

require go.mongodb.org/mongo-driver/v2 v2.10.0 // indirect
