/*
 * The pymcache_fdw extension's library: declarations shared by its C files.
 *
 *   guard.c          the transaction guard the wrapper loads (PREPARE, ON CONFLICT, COPY), and _PG_init
 *   python.c         the embedded Python, reached through Multicorn's library: calls, and Python exceptions
 *                    turned into PostgreSQL errors once the Python stack has unwound
 *   default_table.c  the setting pymcache_fdw.default_table: the table it names, checked and cached, its merged
 *                    options and columns, and the module pymcache_fdw.functions' object for it
 *   functions.c      the SQL functions memcache_get, memcache_set, ... (arguments in, results out)
 *   triggers.c       the trigger functions memcache_write_through and memcache_invalidate
 *   xact.c           PostgreSQL's transaction and subtransaction events, forwarded to the functions' write set
 *
 * Rule kept everywhere: a PostgreSQL error never longjmps through Python frames. C calls Python, copies what it
 * returned into palloc'd memory, releases every Python reference, and only then converts or reports.
 */
#ifndef PYMCACHE_FDW_EXTENSION_H
#define PYMCACHE_FDW_EXTENSION_H

/* Python.h must come first: it sets feature macros the system headers read. */
#include <Python.h>

#include "postgres.h"

#include "fmgr.h"

/* python.c */
extern void		 pymc_python_ready(void);
extern PyObject *pymc_functions_module(void);
extern PyObject *pymc_name(const char *text);
extern void		 pymc_report_python_error(int elevel);
extern PyObject *pymc_text_to_python(const char *data, int length);
extern char		*pymc_python_to_utf8(PyObject *object, const char *what);

/* default_table.c: what a function call needs to know about the default table */
typedef enum PymcAccess
{
	PYMC_READ,	 /* SELECT on the table */
	PYMC_WRITE,	 /* INSERT and UPDATE */
	PYMC_DELETE, /* DELETE */
} PymcAccess;

extern void		 pymc_define_settings(void);
extern PyObject *pymc_default_table(PymcAccess access);

/* xact.c */
extern void	  pymc_note_function_use(bool writes);
extern uint32 pymc_transaction_generation(void);
extern int	  pymc_transaction_level(void);
extern int	  pymc_serializable(void);

/* functions.c, also for triggers.c: an expiration as a call gives it */
typedef struct PymcExpire
{
	bool   present;	 /* false: the table's expire option */
	bool   absolute; /* seconds is a unix time (timestamptz), else seconds from now (interval) */
	double seconds;
} PymcExpire;

extern double	 pymc_interval_seconds(Datum interval, const char *what);
extern PyObject *pymc_expire_to_python(PymcExpire expire);
extern bool pymc_store_call(PyObject *table, const char *command, PyObject *key, PyObject *value, PymcExpire expire);
extern bool pymc_delete_call(PyObject *table, PyObject *key, double hold_seconds);

#endif
