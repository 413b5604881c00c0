/* Embeds schema/clickhouse.sql in flowdb-ship as clickhouse_sql, NUL-terminated. */
	.section .rodata
	.global clickhouse_sql
	.type clickhouse_sql, @object
clickhouse_sql:
	.incbin "schema/clickhouse.sql"
	.byte 0
	.size clickhouse_sql, . - clickhouse_sql
	.section .note.GNU-stack, "", @progbits
