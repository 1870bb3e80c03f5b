// Command mega works with SQS MEGA messages from the shell: it decodes
// message bodies, tests patterns against them, publishes and tails queues,
// and runs a demonstration on an embedded queue.
//
// Run `mega help` for the list of commands and `mega COMMAND -h` for each.
package main
