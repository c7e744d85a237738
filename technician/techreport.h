/*
 * techreport: `handoff-tech report --audit-key FILE.pub EXPORT...`, the
 * relay's report computed offline from verified exports (report.c).
 */
#ifndef HANDOFF_TECH_REPORT_H
#define HANDOFF_TECH_REPORT_H

/* 1 when argv (argv[0] = "report") asks for the offline report (it names an audit key). */
int tech_report_is_offline(int argc, char **argv);
/* Exit status: 0, 1 an export fails verification, 2 usage or unreadable input. */
int tech_report_main(int argc, char **argv);

#endif
