#!/usr/bin/env node
import { main } from '../../cli/main.js';
import { aurousSource } from './index.js';

void main(aurousSource, process.argv.slice(2));
