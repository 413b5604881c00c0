/* Embeds schema/flowdb.sql in the binary as schema_sql, NUL-terminated. */
	.section .rodata
	.global schema_sql
	.type schema_sql, @object
schema_sql:
	.incbin "schema/flowdb.sql"
	.byte 0
	.size schema_sql, . - schema_sql
	.section .note.GNU-stack, "", @progbits
