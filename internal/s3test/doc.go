// Package s3test creates S3 buckets on the test server (moto) for the
// integration tests of large payloads, and deletes them when the test
// ends.
package s3test
