/* Embeds shell/queries/*.sql, concatenated by the Makefile, as queries_sql. */
	.section .rodata
	.global queries_sql
	.type queries_sql, @object
queries_sql:
	.incbin "queries.sql"
	.byte 0
	.size queries_sql, . - queries_sql
	.section .note.GNU-stack, "", @progbits
