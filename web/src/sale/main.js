// The sale page (index.html, served for / and /sale/{id}). The same static file for every
// sale and every buyer, so a CDN can cache it: which sale comes from the path, who the buyer
// is from the link's fragment or the tab's storage.
import { SalePage } from './sale_page.js';
import { saleIdFromLocation } from './session.js';

new SalePage(saleIdFromLocation()).start();
