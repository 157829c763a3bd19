// The admin dashboard (admin.html, served for /admin): sales, their live numbers, the
// blacklist. Everything it shows comes from the admin API and /metrics.
import { Dashboard } from './dashboard.js';

new Dashboard().start();
