#!/usr/bin/env node
import { main } from '../../cli/main.js';
import { openAiSource } from './index.js';

void main(openAiSource, process.argv.slice(2));
