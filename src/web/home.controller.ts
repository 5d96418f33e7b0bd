import { Controller, Get } from '@nestjs/common';
import { view } from './view';

@Controller()
export class HomeController {
  @Get()
  landing() {
    return view('web/landing');
  }
}
