import { removeTempDirsAfterEachFile } from './temp-dirs.js';

removeTempDirsAfterEachFile();
