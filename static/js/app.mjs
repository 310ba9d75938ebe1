// Progressive enhancement only: every page works without this script.
import { initAll } from "../dist/govuk-frontend.min.js";

initAll();
