/* export_html: --html FILE, a self-contained interactive flame graph.
 *
 * One HTML file with its CSS and JS inline and the profile embedded as
 * JSON in a <script type="application/json"> block: no network fetch of
 * any kind, so it opens the same offline, attached to a bug report or
 * served from anywhere.  The data is a call tree merged over processes
 * and threads (root -> outermost frame -> ... -> innermost), one node per
 * (parent, function), with the inclusive sample count of every event on
 * each node; the page derives self counts, widths and the estimated
 * values (samples scaled to the counted total, as the text report does). */
#ifndef PYPERF_EXPORT_HTML_H
#define PYPERF_EXPORT_HTML_H

#include <stdio.h>

#include "pyperf/report.h"

/* Writes the page for D (D->profile may be NULL: the page then says that
 * nothing was sampled, and why when D->attribution_note says).  Numbers
 * are written without the locale's help.  0, -ENOMEM, or -EIO when OUT
 * reported an error. */
int pp_export__html(FILE *out, const struct pp_report_data *d);

#endif
