'use strict';
/**
 * Baseline `nest.hello`: a bare NestJS app (the same @nestjs/core and
 * @nestjs/platform-express as Referee, default options) with one controller that
 * returns 'hello'. Plain JavaScript: the decorators are applied as functions.
 */
require('reflect-metadata');
const { Controller, Get, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { serve } = require('./child');

class HelloController {
  hello() {
    return 'hello';
  }
}
Get()(HelloController.prototype, 'hello', Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello'));
Controller()(HelloController);

class HelloModule {}
Module({ controllers: [HelloController] })(HelloModule);

serve('nest.hello', () => NestFactory.create(HelloModule, { logger: false }));
